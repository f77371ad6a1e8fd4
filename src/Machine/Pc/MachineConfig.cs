namespace JitVirt.Machine.Pc;

/// <summary>
/// Everything that shapes one <see cref="PcMachine"/>: memory size, where guest output goes, which
/// optional devices exist and how time runs. Immutable; the CLI builds one from QEMU-style options.
/// </summary>
public sealed record MachineConfig
{
    public const ulong DefaultRamBytes = 128ul << 20; // QEMU's pc default (-m 128M)

    /// <summary>Smallest machine: the BIOS area up to 1 MiB holds the ACPI tables, and loaders want some RAM above it.</summary>
    public const ulong MinimumRamBytes = 2ul << 20;

    /// <summary>RAM from physical 0 (a multiple of 4 KiB; RAM above the 32-bit PCI hole is not mapped yet).</summary>
    public ulong RamBytes { get; init; } = DefaultRamBytes;

    /// <summary>COM1 (3F8h, IRQ4) transmit output.</summary>
    public OutputTarget Serial { get; init; } = OutputTarget.Console;

    /// <summary>The Bochs/QEMU port E9h console; <see langword="null"/> leaves port E9h unassigned.</summary>
    public OutputTarget? DebugConsole { get; init; }

    /// <summary>QEMU's isa-debug-exit; <see langword="null"/> leaves its ports unassigned.</summary>
    public DebugExitConfig? DebugExit { get; init; } = DebugExitConfig.Default;

    /// <summary>QEMU's pc-testdev at E0h-E7h and 2000h-2017h (kvm-unit-tests).</summary>
    public bool PcTestDev { get; init; }

    /// <summary>QEMU's pci-testdev (1B36:0005) on PCI slot <see cref="PcMachine.PciTestDevSlot"/>.</summary>
    public bool PciTestDev { get; init; }

    /// <summary>
    /// Virtual time from retired instructions (<see cref="InstructionClock.NanosecondsPerInstruction"/> ns each,
    /// skipping ahead while halted) instead of host time: the same guest and input give the same run.
    /// </summary>
    public bool Deterministic { get; init; }

    /// <summary>A reset request (port 92h, CF9h, i8042, triple fault) ends the run instead of rebooting, like QEMU's -no-reboot.</summary>
    public bool NoReboot { get; init; }

    /// <summary>Kernel command line handed to loaders that take one.</summary>
    public string? CommandLine { get; init; }

    /// <summary>How the processor translates linear addresses with paging on.</summary>
    public TranslatorKind Translator { get; init; } = TranslatorKind.Shadow;
}

/// <summary>The linear-address translator a machine's processor uses.</summary>
public enum TranslatorKind
{
    /// <summary>KVM's shadow MMU: cached shadow page tables kept coherent by write-protecting the guest's tables.</summary>
    Shadow,

    /// <summary>A direct walk of the guest's tables on every software-TLB miss (the reference).</summary>
    Direct,
}

/// <summary>Port range of QEMU's isa-debug-exit (-device isa-debug-exit,iobase=...,iosize=...).</summary>
public sealed record DebugExitConfig(ushort IoBase, int IoSize)
{
    /// <summary>QEMU's defaults: iobase F4h, iosize 4 (hw/misc/debugexit.c).</summary>
    public static DebugExitConfig Default { get; } = new(0xF4, 4);
}
