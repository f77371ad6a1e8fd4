using JitVirt.Cpu.State;
using JitVirt.Frontend;

namespace JitVirt.Cpu;

/// <summary>The operating mode, derived from CR0.PE, EFLAGS.VM, EFER.LMA and CS (SDM vol.3 §2.2, Figure 2-3), cached.</summary>
public enum OperatingMode : byte
{
    Real,
    Protected,
    Virtual8086,
    Compatibility,
    Long64,
}

public sealed partial class Cpu
{
    public OperatingMode Mode { get; private set; }
    public CodeMode CodeMode { get; private set; }

    /// <summary>Current privilege level: CS.DPL in protected modes (SS.DPL equals it), 0 in real mode, 3 in V86.</summary>
    public int Cpl { get; private set; }

    /// <summary>Stack address size in bytes (2, 4 or 8): SS.B, or 8 in 64-bit mode (SDM vol.3 §3.4.5).</summary>
    public int StackAddressSize { get; private set; }

    public bool Is64BitMode => Mode == OperatingMode.Long64;
    public bool IsRealMode => Mode == OperatingMode.Real;
    public bool IsV86Mode => Mode == OperatingMode.Virtual8086;
    public bool IsProtectedMode => (Cr0 & State.Cr0.PE) != 0;
    public bool IsLongModeActive => (Efer & State.Efer.LMA) != 0;
    public bool IsPagingEnabled => (Cr0 & State.Cr0.PG) != 0;

    /// <summary>Mask applied to RIP after sequential execution: 0xFFFF, 0xFFFFFFFF or all ones.</summary>
    public ulong IpMask { get; private set; }

    /// <summary>
    /// Recomputes the cached mode after CR0, EFER, EFLAGS.VM or CS changed. Raises
    /// <see cref="PendingEvent.ModeChanged"/> so the executor leaves the current block.
    /// </summary>
    public void UpdateMode()
    {
        ref var cs = ref Segments[SegmentIndex.Cs];
        if ((Cr0 & State.Cr0.PE) == 0)
        {
            Mode = OperatingMode.Real;
            Cpl = 0;
        }
        else if ((RflagsStatic & Rflags.VM) != 0 && (Efer & State.Efer.LMA) == 0)
        {
            Mode = OperatingMode.Virtual8086;
            Cpl = 3;
        }
        else
        {
            Mode = (Efer & State.Efer.LMA) != 0
                ? (cs.IsLong ? OperatingMode.Long64 : OperatingMode.Compatibility)
                : OperatingMode.Protected;
            Cpl = cs.Dpl;
        }
        CodeMode = Mode switch
        {
            OperatingMode.Long64 => CodeMode.Bits64,
            OperatingMode.Real or OperatingMode.Virtual8086 => cs.IsDefaultBig ? CodeMode.Bits32 : CodeMode.Bits16,
            _ => cs.IsDefaultBig ? CodeMode.Bits32 : CodeMode.Bits16,
        };
        IpMask = CodeMode switch { CodeMode.Bits16 => 0xFFFF, CodeMode.Bits32 => 0xFFFF_FFFF, _ => ulong.MaxValue };
        StackAddressSize = Mode == OperatingMode.Long64 ? 8 : Segments[SegmentIndex.Ss].IsDefaultBig ? 4 : 2;
        Pending |= PendingEvent.ModeChanged;
    }
}
