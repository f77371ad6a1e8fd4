using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Helpers of event delivery: building the handler's stack frame without committing anything
/// until every push is known to succeed, and reading the stack pointers from the current TSS.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Values of the frame being built, in push order (at most GS FS DS ES SS ESP EFLAGS CS EIP error).</summary>
    readonly ulong[] _frame = new ulong[10];
    readonly ulong[] _frameLinear = new ulong[10];

    /// <summary>
    /// Pushes <paramref name="count"/> values of <paramref name="width"/> bytes from
    /// <see cref="_frame"/> onto the stack described by <paramref name="ss"/> starting at
    /// <paramref name="rsp"/>. Every slot is checked first (segment limit, or canonical form in
    /// IA-32e mode, then a write probe of its page(s), which raises #PF) and only then written,
    /// so a fault leaves memory and registers as they were. A limit/canonical violation raises
    /// #SS(<paramref name="stackErrorCode"/>). Returns false if anything faulted.
    /// </summary>
    bool TryPushFrame(in SegmentRegister ss, ref ulong rsp, int count, int width, bool longMode, bool user, uint stackErrorCode)
    {
        ulong mask = longMode ? ulong.MaxValue : ss.IsDefaultBig ? 0xFFFF_FFFFul : 0xFFFFul;
        ulong sp = rsp;
        for (int k = 0; k < count; k++)
        {
            sp = (sp - (ulong)width) & mask;
            ulong linear;
            if (longMode)
            {
                linear = sp;
                if (!IsCanonical(linear) || !IsCanonical(linear + (ulong)width - 1)) { RaiseStackFault(stackErrorCode); return false; }
            }
            else
            {
                if (!WithinSegmentLimit(ss, sp, width)) { RaiseStackFault(stackErrorCode); return false; }
                linear = (ss.Base + sp) & 0xFFFF_FFFF;
            }
            if (!ProbeWriteLinear(linear, width, user)) return false;
            _frameLinear[k] = linear;
        }
        for (int k = 0; k < count; k++)
        {
            ulong v = _frame[k];
            switch (width)
            {
                case 2: WriteLinear(_frameLinear[k], (ushort)v, user); break;
                case 4: WriteLinear(_frameLinear[k], (uint)v, user); break;
                default: WriteLinear(_frameLinear[k], v, user); break;
            }
        }
        rsp = (rsp & ~mask) | sp;
        return true;
    }

    /// <summary>Limit check of one stack access, expand-down aware (SDM vol.3 §3.4.5.1, §6.3).</summary>
    static bool WithinSegmentLimit(in SegmentRegister s, ulong offset, int size)
    {
        ulong last = offset + (ulong)size - 1;
        uint ar = s.AccessRights;
        bool expandDown = (ar & (SegmentRegister.TypeCode | SegmentRegister.TypeExpandDown)) == SegmentRegister.TypeExpandDown;
        return expandDown
            ? offset > s.Limit && last <= ((ar & SegmentRegister.DefaultBig) != 0 ? 0xFFFF_FFFFul : 0xFFFFul)
            : last <= s.Limit;
    }

    /// <summary>True when TR holds a 32-bit (or, in IA-32e mode, 64-bit) TSS rather than a 16-bit one.</summary>
    bool IsTss32 => (Tr.AccessRights & 8) != 0;

    /// <summary>
    /// Reads SS:ESP for privilege level <paramref name="ring"/> from the current legacy TSS
    /// (32-bit TSS: ESPn at 4+8n, SSn at 8+8n; 16-bit TSS: SPn at 2+4n, SSn at 4+4n; SDM vol.3
    /// §9.2.1, Figures 9-2 and 9-11). Beyond TR.limit → #TS(TR selector | EXT).
    /// </summary>
    bool TryReadTssStackForDelivery(int ring, uint ext, out ushort ss, out ulong esp)
    {
        ss = 0; esp = 0;
        ulong offset = IsTss32 ? (ulong)ring * 8 + 4 : (ulong)ring * 4 + 2;
        ulong last = offset + (IsTss32 ? 7ul : 3ul);
        if (last > Tr.Limit) { RaiseFault(ExceptionVector.InvalidTss, (uint)(Tr.Selector & 0xFFFC) | ext); return false; }
        ulong linear = (Tr.Base + offset) & 0xFFFF_FFFF;
        if (IsTss32)
        {
            esp = ReadLinear<uint>(linear, false);
            if (Faulted) return false;
            ss = ReadLinear<ushort>(linear + 4, false);
        }
        else
        {
            esp = ReadLinear<ushort>(linear, false);
            if (Faulted) return false;
            ss = ReadLinear<ushort>(linear + 2, false);
        }
        return !Faulted;
    }

    /// <summary>
    /// Reads RSPn (<paramref name="ist"/> = 0) or ISTn (1-7) from the 64-bit TSS (RSP0 at 4,
    /// IST1 at 0x24; SDM vol.3 §9.7, Figure 9-11). Beyond TR.limit → #TS(TR selector | EXT).
    /// </summary>
    bool TryReadTss64StackForDelivery(int ring, int ist, uint ext, out ulong rsp)
    {
        rsp = 0;
        ulong offset = ist != 0 ? 0x24 + (ulong)(ist - 1) * 8 : 4 + (ulong)ring * 8;
        if (offset + 7 > Tr.Limit) { RaiseFault(ExceptionVector.InvalidTss, (uint)(Tr.Selector & 0xFFFC) | ext); return false; }
        rsp = ReadLinear<ulong>(Tr.Base + offset, false);
        return !Faulted;
    }

    /// <summary>Pushed RFLAGS image: RF is set for fault-class exceptions (SDM vol.3 §18.3.1.1).</summary>
    ulong FlagsImageForDelivery(EventKind kind) => GetRflags() | (kind == EventKind.Fault ? Rflags.RF : 0);

    /// <summary>RFLAGS in the handler: TF, NT, RF, VM cleared; IF too through an interrupt gate (SDM vol.3 §7.12.1.3).</summary>
    void SetFlagsForHandler(bool interruptGate)
    {
        ulong f = GetRflags() & ~(Rflags.TF | Rflags.NT | Rflags.RF | Rflags.VM);
        if (interruptGate) f &= ~Rflags.IF;
        SetRflags(f);
    }
}
