using System.CommandLine;

namespace JitVirt.Cli;

/// <summary>
/// The QEMU-style options of <c>jitvirt run</c> (also accepted by the bare <c>jitvirt</c> and by
/// <c>jitvirt compare</c>), and JitVirt's own double-dash options. Single-dash long names as QEMU
/// spells them; POSIX bundling is off so "-kernel" is not read as "-k -e -r ...".
/// </summary>
public sealed class RunOptions
{
    public Option<string?> Kernel { get; } = new("-kernel") { Description = "Kernel or flat image to boot (Linux bzImage, Multiboot ELF, or flat binary entered at 0000:7C00)" };
    public Option<string?> Initrd { get; } = new("-initrd") { Description = "Initial ramdisk for a Linux or Multiboot kernel" };
    public Option<string?> Append { get; } = new("-append") { Description = "Kernel command line" };
    public Option<string?> Bios { get; } = new("-bios") { Description = "System BIOS ROM (a multiple of 64 KiB), mapped below 4 GiB and its last 128 KiB below 1 MiB, entered at the reset vector" };
    public Option<string> Memory { get; } = new("-m") { Description = "RAM size, e.g. 256M or 1G", DefaultValueFactory = _ => "128M" };
    public Option<string?> Serial { get; } = new("-serial") { Description = "COM1 back end: stdio, file:PATH or none (default stdio)" };
    public Option<string[]> Device { get; } = new("-device") { Description = "isa-debug-exit[,iobase=0xf4,iosize=0x4], pc-testdev or pci-testdev (repeatable)" };
    public Option<bool> NoGraphic { get; } = new("-nographic") { Description = "Accepted for QEMU compatibility (JitVirt has no display)" };
    public Option<bool> NoReboot { get; } = new("-no-reboot") { Description = "Exit instead of rebooting when the guest resets or triple-faults" };
    public Option<bool> NoDefaults { get; } = new("-nodefaults") { Description = "No default devices: COM1 output is dropped unless -serial is given" };
    public Option<string?> Display { get; } = new("-display") { Description = "Accepted and ignored (QEMU compatibility; JitVirt has no display)" };
    public Option<string?> Vnc { get; } = new("-vnc") { Description = "Accepted and ignored (QEMU compatibility; JitVirt has no display)" };
    public Option<string?> Machine { get; } = new("-machine") { Description = "Accepted for QEMU compatibility (e.g. accel=tcg)" };
    public Option<string?> Accel { get; } = new("-accel") { Description = "Accepted for QEMU compatibility (e.g. tcg)" };
    public Option<string[]> Global { get; } = new("-global") { Description = "Accepted for QEMU compatibility (e.g. kvm-pit.lost_tick_policy=discard)" };
    public Option<string?> Smp { get; } = new("-smp") { HelpName = "N", Description = "Number of vCPUs, QEMU syntax ([cpus=]N[,sockets=..,cores=..,threads=..]); JitVirt emulates 1" };
    public Option<string?> DebugItems { get; } = new("-d") { HelpName = "ITEMS", Description = "QEMU log items, comma-separated: int (each interrupt/exception delivered in protected mode), cpu_reset (the registers at each reboot or triple fault), guest_errors (unassigned I/O ports, unimplemented instructions, triple fault)" };
    public Option<string?> LogFile { get; } = new("-D") { HelpName = "FILE", Description = "Write the -d log to FILE instead of stderr" };
    public Option<bool> E9 { get; } = new("--e9") { Description = "Bochs/QEMU port E9h debug console on stdout" };
    public Option<double?> Timeout { get; } = new("--timeout") { HelpName = "SECONDS", Description = $"Stop after this many seconds of wall time (exit status {CliExitCodes.Timeout})" };
    public Option<string?> Until { get; } = new("--until") { HelpName = "TEXT", Description = "Stop with exit status 0 as soon as this text appears on the guest console" };
    public Option<bool> Deterministic { get; } = new("--deterministic") { Description = "Virtual time from retired instructions (1 ns each) instead of host time" };
    public Option<string> Vm { get; } = new("--vm") { HelpName = "svm|vmx|none", Description = "Host the guest under the SVM or VMX front end, or none (the bare interpreter vCPU, no exits)", DefaultValueFactory = _ => FrontEndCatalog.DefaultFrontEnd };
    public Option<string> Tier { get; } = new("--tier") { HelpName = "il|interpreter", Description = "Under a front end: compile hot guest code to .NET IL (il, the default) or interpret everything (interpreter)", DefaultValueFactory = _ => ExecutionTier.Il.ToString().ToLowerInvariant() };
    public Option<long?> JitThreshold { get; } = new("--jit-threshold") { HelpName = "N", Description = "Runs of a block before the IL tier compiles it (default: the tier's measured threshold)" };
    public Option<bool> Stats { get; } = new("--stats") { Description = "At exit, print the exit table (perf kvm stat report layout) and JitVirt's counters on stderr" };
    public Option<string?> Json { get; } = new("--json") { HelpName = "FILE", Description = "Write one JSON document for the run (configuration, outcome, times, exits, counters) to FILE" };
    public Option<string?> Trace { get; } = new("--trace") { HelpName = "EVENTS", Description = "KVM tracepoints on stderr: kvm_exit,kvm_entry,kvm_pio,kvm_msr,kvm_cpuid,kvm_cr,kvm_page_fault,kvm_inj_exception or kvm_*" };

    public void AddTo(Command command)
    {
        foreach (Option option in All()) command.Options.Add(option);
    }

    private IEnumerable<Option> All() =>
    [
        Kernel, Initrd, Append, Bios, Memory, Serial, Device, NoGraphic, NoReboot, NoDefaults,
        Display, Vnc, Machine, Accel, Global, Smp, DebugItems, LogFile, E9, Timeout, Until, Deterministic, Vm, Tier, JitThreshold, Stats, Json, Trace,
    ];
}
