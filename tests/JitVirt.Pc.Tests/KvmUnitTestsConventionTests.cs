using System.Text;
using JitVirt.Machine.Loaders;
using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>
/// The kvm-unit-tests convention guest (<see cref="KvmUnitTestsConventionGuest"/>) booted the way
/// kvm-unit-tests' x86 runner boots its binaries with QEMU: -kernel NAME, -append ARGS, -initrd ENVFILE,
/// -device pc-testdev, -device isa-debug-exit,iobase=0xf4,iosize=0x4, -no-reboot.
/// </summary>
public sealed class KvmUnitTestsConventionTests
{
    const ulong RamBytes = 64ul << 20;

    /// <summary>The checks the guest makes, in the order it prints them (the test's own list, not the guest's).</summary>
    static readonly string[] Checks =
    [
        "multiboot magic", "bss zeroed", "bss writable", "mem_upper", "command line", "environment module", "memory map",
        "fw_cfg cpus", "fw_cfg ram size", "8259 masked", "elcr", "apic base msr", "apic enable", "init/sipi broadcast",
        "acpi rsdp", "pm timer counts", "pc-testdev scratch", "pc-testdev string io", "pc-testdev irq via ioapic", "lapic timer",
    ];

    public static RunResult Boot(MemoryStream serial, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = null)
    {
        var config = new MachineConfig
        {
            RamBytes = RamBytes,
            Serial = OutputTarget.ToStream(serial),
            PcTestDev = true,
            Deterministic = true,
            NoReboot = true,
            CommandLine = KvmUnitTestsConventionGuest.Arguments,
        };
        using var machine = new PcMachine(config, vcpuFactory);
        var kernel = new ImageFile(KvmUnitTestsConventionGuest.KernelName, KvmUnitTestsConventionGuest.Build(RamBytes));
        var env = new ImageFile("env", Encoding.ASCII.GetBytes(KvmUnitTestsConventionGuest.Environment));
        machine.Boot(KernelImages.ForKernel(kernel, env, KvmUnitTestsConventionGuest.Arguments));
        return machine.Run(timeout: TimeSpan.FromSeconds(60));
    }

    [Theory]
    [MemberData(nameof(FrontEnds.Names), MemberType = typeof(FrontEnds))]
    public void EveryConventionHoldsAndTheRunEndsWithStatusOne(string vcpu)
    {
        var serial = new MemoryStream();
        var result = Boot(serial, FrontEnds.Factory(vcpu));
        string console = TestGuests.Text(serial);

        var expected = new StringBuilder();
        foreach (var check in Checks) expected.Append("PASS: ").Append(check).Append('\n');
        expected.Append($"SUMMARY: {Checks.Length} tests, 0 unexpected failures\n");
        Assert.Equal(expected.ToString(), console);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(1, result.ExitStatus);
    }
}
