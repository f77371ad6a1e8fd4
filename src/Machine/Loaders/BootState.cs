using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The processor state a boot protocol hands control over in. Anything not named here is the
/// power-on reset state (SDM vol.3 §10.1.1, Table 10-1); <see cref="BootStateApplier"/> starts
/// from <c>Cpu.Reset()</c> and overlays these values.
/// </summary>
public sealed record BootState
{
    public required EntryMode Mode { get; init; }
    public required ulong Rip { get; init; }
    /// <summary>Bit 1 always reads 1 (SDM vol.1 §3.4.3); IF is clear unless a protocol says otherwise.</summary>
    public ulong Rflags { get; init; } = global::JitVirt.Cpu.State.Rflags.Reserved1;

    public ulong Rax { get; init; }
    public ulong Rbx { get; init; }
    public ulong Rcx { get; init; }
    public ulong Rdx { get; init; }
    public ulong Rsi { get; init; }
    public ulong Rdi { get; init; }
    public ulong Rbp { get; init; }
    public ulong Rsp { get; init; }

    public required SegmentRegister Cs { get; init; }
    public required SegmentRegister Ds { get; init; }
    public required SegmentRegister Es { get; init; }
    public required SegmentRegister Fs { get; init; }
    public required SegmentRegister Gs { get; init; }
    public required SegmentRegister Ss { get; init; }

    /// <summary>GDTR when the loader wrote a GDT into guest memory; null keeps the reset value.</summary>
    public DescriptorTableRegister? Gdtr { get; init; }

    /// <summary>CR0 when not the reset value 0x60000010 (SDM vol.3 Table 10-1).</summary>
    public ulong? Cr0 { get; init; }
    public ulong Cr3 { get; init; }
    public ulong Cr4 { get; init; }
    public ulong Efer { get; init; }

    /// <summary>
    /// MSRs firmware would have programmed before the handover (for example <see cref="Firmware.FirmwareMtrrs"/>),
    /// written in order after the reset; empty for an entry at the reset vector.
    /// </summary>
    public IReadOnlyList<(uint Msr, ulong Value)> Msrs { get; init; } = [];

    /// <summary>The state the processor leaves RESET in: real mode at F000:FFF0, CS base 0xFFFF0000 (SDM vol.3 §10.1.4).</summary>
    public static BootState ResetVector { get; } = new()
    {
        Mode = EntryMode.Real,
        Rip = 0xFFF0,
        Cs = new SegmentRegister { Selector = 0xF000, Base = 0xFFFF_0000, Limit = 0xFFFF, AccessRights = SegmentRegister.RealModeCode },
        Ds = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Es = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Fs = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Gs = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Ss = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
    };
}
