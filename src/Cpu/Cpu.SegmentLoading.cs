using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Loading segment registers (SDM vol.2 MOV/POP/LDS..LSS pseudo-code; vol.3 §3.4.3, §5.4-§5.6):
/// real and V86 modes load selector × 16; protected and IA-32e modes read the descriptor and
/// apply the type, privilege and present checks. Faults are raised, never thrown, and nothing is
/// committed when a check fails.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>The attributes a segment register has in virtual-8086 mode: present, DPL 3, read/write accessed data (SDM vol.3 §20.2.1; VMX guest-state rule).</summary>
    public const uint V86SegmentAccessRights = 0xF3;

    /// <summary>Error code of a selector fault: the selector with RPL cleared (EXT = IDT = 0; SDM vol.3 §7.13).</summary>
    public static uint SelectorErrorCode(ushort selector) => (uint)(selector & 0xFFFC);

    /// <summary>True for a null selector: index 0 in the GDT (RPL ignored; SDM vol.3 §3.4.2).</summary>
    public static bool IsNullSelector(ushort selector) => (selector & 0xFFFC) == 0;

    /// <summary>
    /// Loads ES, SS, DS, FS or GS as MOV Sreg / POP Sreg / LDS..LGS / LSS do, with every check of
    /// the current mode. Returns false after raising #GP, #NP or #SS (nothing committed, except the
    /// descriptor's accessed bit, which the processor also sets before the load completes).
    /// CS is loaded only by far control transfers (see <see cref="FarJump"/> and friends).
    /// </summary>
    public bool LoadSegmentRegister(int seg, ushort selector)
    {
        if (Mode == OperatingMode.Real)
        {
            LoadRealModeSegment(seg, selector);
            return true;
        }
        if (Mode == OperatingMode.Virtual8086)
        {
            CommitSegment(seg, V86Segment(selector));
            return true;
        }
        if (!TryCheckSegmentLoad(seg, selector, Cpl, ExceptionVector.GeneralProtection, out var loaded, out ulong address, out var descriptor))
            return false;
        if (!IsNullSelector(selector))
        {
            SetDescriptorAccessed(address, descriptor);
            if (Faulted) return false;
        }
        CommitSegment(seg, loaded);
        return true;
    }

    /// <summary>A segment register as virtual-8086 mode loads it: base = selector × 16, limit 0xFFFF, DPL 3 data attributes.</summary>
    public static SegmentRegister V86Segment(ushort selector) => new()
    {
        Selector = selector,
        Base = (ulong)selector << 4,
        Limit = 0xFFFF,
        AccessRights = V86SegmentAccessRights,
    };

    /// <summary>A null segment register: selector kept, descriptor cache unusable (base kept for FS/GS as Intel does in 64-bit mode).</summary>
    public static SegmentRegister NullSegment(ushort selector, int dpl = 0, ulong keepBase = 0) => new()
    {
        Selector = selector,
        Base = keepBase,
        AccessRights = SegmentRegister.Unusable | ((uint)dpl << SegmentRegister.DplShift),
    };

    /// <summary>
    /// Installs a checked segment register and refreshes what depends on it: the mode after CS,
    /// the stack address size after SS.
    /// </summary>
    public void CommitSegment(int seg, in SegmentRegister value)
    {
        Segments[seg] = value;
        if (seg == SegmentIndex.Cs) UpdateMode();
        else if (seg == SegmentIndex.Ss) StackAddressSize = Mode == OperatingMode.Long64 ? 8 : value.IsDefaultBig ? 4 : 2;
    }

    /// <summary>
    /// The protected-mode checks of a data or stack segment load (SDM vol.2 MOV, "IF SS is loaded" /
    /// "IF DS, ES, FS, or GS is loaded"), against privilege <paramref name="cpl"/>.
    /// <paramref name="invalidVector"/> is #GP for instructions and #TS for task switches; a
    /// not-present segment is #SS for SS and #NP otherwise. A null SS is #GP(0) (#TS(0) in a task
    /// switch) except in 64-bit mode at CPL &lt; 3 with RPL = CPL.
    /// </summary>
    public bool TryCheckSegmentLoad(int seg, ushort selector, int cpl, byte invalidVector,
        out SegmentRegister loaded, out ulong descriptorAddress, out SegmentDescriptor descriptor)
    {
        loaded = default;
        descriptorAddress = 0;
        descriptor = default;
        int rpl = selector & 3;
        uint err = SelectorErrorCode(selector);
        if (seg == SegmentIndex.Ss)
        {
            if (IsNullSelector(selector))
            {
                if (Mode == OperatingMode.Long64 && cpl < 3 && rpl == cpl && invalidVector == ExceptionVector.GeneralProtection)
                {
                    loaded = NullSegment(selector, cpl);
                    return true;
                }
                RaiseFault(invalidVector, invalidVector == ExceptionVector.InvalidTss ? err : 0);
                return false;
            }
            if (!TryReadDescriptor(selector, out descriptor, out descriptorAddress))
            {
                if (!Faulted) RaiseFault(invalidVector, err);
                return false;
            }
            if (rpl != cpl || !descriptor.IsWritable || descriptor.Dpl != cpl)
            {
                RaiseFault(invalidVector, err);
                return false;
            }
            if (!descriptor.IsPresent)
            {
                RaiseFault(ExceptionVector.StackFault, err);
                return false;
            }
        }
        else
        {
            if (IsNullSelector(selector))
            {
                loaded = NullSegment(selector); // base 0 also for FS/GS in 64-bit mode (Intel)
                return true;
            }
            if (!TryReadDescriptor(selector, out descriptor, out descriptorAddress))
            {
                if (!Faulted) RaiseFault(invalidVector, err);
                return false;
            }
            if (!descriptor.IsCodeOrData || (descriptor.IsCode && !descriptor.IsReadable))
            {
                RaiseFault(invalidVector, err);
                return false;
            }
            if (!descriptor.IsConforming && (rpl > descriptor.Dpl || cpl > descriptor.Dpl))
            {
                RaiseFault(invalidVector, err);
                return false;
            }
            if (!descriptor.IsPresent)
            {
                RaiseFault(ExceptionVector.SegmentNotPresent, err);
                return false;
            }
        }
        loaded = descriptor.ToSegmentRegister(selector);
        loaded.AccessRights |= SegmentRegister.TypeAccessed;
        return true;
    }

    /// <summary>
    /// The CS value a far transfer installs: selector with RPL = <paramref name="newCpl"/>, the
    /// descriptor's base, limit and attributes with the accessed bit. The cached DPL of a
    /// conforming segment is replaced by the CPL, because JitVirt derives CPL from CS.DPL
    /// (<see cref="UpdateMode"/>) and a conforming segment runs at the caller's CPL (SDM vol.3 §5.8.1.2).
    /// </summary>
    public static SegmentRegister CodeSegmentFor(in SegmentDescriptor descriptor, ushort selector, int newCpl)
    {
        var cs = descriptor.ToSegmentRegister((ushort)((selector & ~3) | newCpl));
        cs.AccessRights |= SegmentRegister.TypeAccessed;
        cs.AccessRights = (cs.AccessRights & ~(3u << SegmentRegister.DplShift)) | ((uint)newCpl << SegmentRegister.DplShift);
        return cs;
    }

    /// <summary>
    /// After a return to an outer privilege level (far RET, IRET): ES, DS, FS and GS that hold a
    /// data or non-conforming code segment with DPL &lt; the new CPL, or that are unusable, get a
    /// null selector so the less privileged code cannot use them (SDM vol.2 RET/IRET, vol.3 §5.8.6).
    /// </summary>
    public void NullOuterDataSegments()
    {
        ReadOnlySpan<int> segs = [SegmentIndex.Es, SegmentIndex.Ds, SegmentIndex.Fs, SegmentIndex.Gs];
        foreach (int s in segs)
        {
            ref var r = ref Segments[s];
            bool conformingCode = (r.AccessRights & (SegmentRegister.TypeCode | SegmentRegister.TypeConforming | SegmentRegister.DescriptorTypeS))
                == (SegmentRegister.TypeCode | SegmentRegister.TypeConforming | SegmentRegister.DescriptorTypeS);
            if (r.Dpl < Cpl && (!r.IsUsable || !conformingCode))
            {
                r.Selector = 0;
                r.AccessRights |= SegmentRegister.Unusable;
            }
        }
    }
}
