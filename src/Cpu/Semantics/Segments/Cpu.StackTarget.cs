using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// A stack that a far transfer pushes to: the current SS:RSP, or a new stack from the TSS that
/// is not installed yet. Pushes are checked first (<see cref="Cpu.ProbePushes"/>: segment limit,
/// canonical form, page writability) and then written with <see cref="Cpu.PushUnchecked"/>, which
/// cannot fault, so an instruction faults before it has changed anything.
/// </summary>
public struct StackTarget
{
    public SegmentRegister Ss;
    public ulong Rsp;
    /// <summary>64-bit stack addressing: SS base and limit ignored, canonical check.</summary>
    public bool Long64;
    /// <summary>Paging privilege of the stack writes (CPL 3 of the code that will own the stack).</summary>
    public bool User;
    /// <summary>Error code of the #SS raised for a limit violation: 0 for the current stack, the new SS selector for a switched stack.</summary>
    public uint ErrorCode;

    public readonly ulong Mask => Long64 ? ulong.MaxValue : Ss.IsDefaultBig ? 0xFFFF_FFFFul : 0xFFFFul;
}

public sealed partial class Cpu
{
    /// <summary>The current stack as a <see cref="StackTarget"/> (#SS(0) on a limit violation).</summary>
    public StackTarget CurrentStack() => new()
    {
        Ss = Segments[SegmentIndex.Ss],
        Rsp = Gpr[State.Gpr.Rsp],
        Long64 = Mode == OperatingMode.Long64,
        User = Cpl == 3,
        ErrorCode = 0,
    };

    /// <summary>Checks that <paramref name="count"/> pushes of <paramref name="size"/> bytes fit; raises #SS or #PF and returns false otherwise.</summary>
    public bool ProbePushes(in StackTarget stack, int count, int size)
    {
        ulong mask = stack.Mask;
        for (int k = 1; k <= count; k++)
        {
            ulong offset = (stack.Rsp - (ulong)(k * size)) & mask;
            if (!TryStackLinear(stack, offset, size, out ulong linear)) return false;
            if (!ProbeWriteLinear(linear, size, stack.User)) return false;
        }
        return true;
    }

    /// <summary>Pushes a value already covered by <see cref="ProbePushes"/>.</summary>
    public void PushUnchecked(ref StackTarget stack, ulong value, int size)
    {
        ulong mask = stack.Mask;
        ulong offset = (stack.Rsp - (ulong)size) & mask;
        TryStackLinear(stack, offset, size, out ulong linear);
        switch (size)
        {
            case 2: WriteLinear(linear, (ushort)value, stack.User); break;
            case 4: WriteLinear(linear, (uint)value, stack.User); break;
            default: WriteLinear(linear, value, stack.User); break;
        }
        stack.Rsp = (stack.Rsp & ~mask) | offset;
    }

    bool TryStackLinear(in StackTarget stack, ulong offset, int size, out ulong linear)
    {
        if (stack.Long64)
        {
            linear = offset;
            if (IsCanonical(offset) && IsCanonical(offset + (ulong)size - 1)) return true;
            RaiseStackFault(0);
            return false;
        }
        ref readonly var ss = ref stack.Ss;
        linear = (ss.Base + offset) & 0xFFFF_FFFF;
        ulong last = offset + (ulong)size - 1;
        uint ar = ss.AccessRights;
        bool expandDown = (ar & (SegmentRegister.TypeCode | SegmentRegister.TypeExpandDown)) == SegmentRegister.TypeExpandDown;
        bool ok = expandDown
            ? offset > ss.Limit && last <= (ss.IsDefaultBig ? 0xFFFF_FFFFul : 0xFFFFul)
            : last <= ss.Limit;
        if (ok) return true;
        RaiseStackFault(stack.ErrorCode);
        return false;
    }

    /// <summary>
    /// The RSP value after a stack switch to a stack of the given kind: all 64 bits in 64-bit mode,
    /// ESP (zero-extended) for a 32-bit stack, only SP for a 16-bit stack (SDM vol.3 §3.4.5 B flag).
    /// </summary>
    public static ulong MergeStackPointer(ulong oldRsp, ulong newRsp, bool bigStack, bool long64)
    {
        if (long64) return newRsp;
        if (bigStack) return newRsp & 0xFFFF_FFFF;
        return (oldRsp & ~0xFFFFul) | (newRsp & 0xFFFF);
    }

    /// <summary>Reads a stack value of <paramref name="size"/> bytes at SS:offset (offset masked to the current stack size) at the current privilege.</summary>
    public bool TryReadStack(ulong offset, int size, out ulong value)
    {
        offset &= StackPointerMask;
        value = size switch
        {
            2 => Read<ushort>(SegmentIndex.Ss, offset),
            4 => Read<uint>(SegmentIndex.Ss, offset),
            _ => Read<ulong>(SegmentIndex.Ss, offset),
        };
        return !Faulted;
    }
}
