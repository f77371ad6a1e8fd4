using Xunit.Abstractions;
using JitVirt.Machine.Pc;

namespace JitVirt.LinuxBoot.Tests;

/// <summary>
/// Boots Debian's stock Linux kernel (issue 11) to its busybox /init and checks the marker /init prints.
/// Slow (billions of guest instructions: the XZ decompressor alone retires about 4.5 billion), so CI runs
/// the category once: <c>dotnet test tests/JitVirt.LinuxBoot.Tests -c Release --filter Category=LinuxBoot</c>.
/// </summary>
[Trait("Category", "LinuxBoot")]
public class LinuxBootTests(ITestOutputHelper output)
{
    /// <summary>
    /// First milestone: nothing but the 8259 PIC, 8254 PIT, 16550 UART, MC146818 RTC and the i8042 reset
    /// line. /init runs "reboot -f", which without ACPI resets through the keyboard controller (or CF9h), and
    /// under <see cref="MachineConfig.NoReboot"/> that ends the run. panic=-1 turns a panic into a reset as
    /// well, so the console text decides between the two.
    /// </summary>
    [LinuxGuestFact]
    public void BootsToInitWithLegacyDevicesOnly()
    {
        var boot = Boot("console=ttyS0 acpi=off noapic nolapic panic=-1 jvexit=reboot");
        Assert.True(boot.Result.Outcome == RunOutcome.Reset, boot.Describe("the guest should reset the machine at the end"));
        Assert.True(boot.Console.Contains(LinuxGuest.Marker + " uptime:", StringComparison.Ordinal), boot.Describe("no boot marker"));
        Assert.False(boot.Console.Contains("Kernel panic", StringComparison.Ordinal), boot.Describe("kernel panic"));
        Assert.True(boot.Console.Contains("reboot: Restarting system", StringComparison.Ordinal), boot.Describe("the reset should come from reboot -f"));
    }

    /// <summary>
    /// The shape of the final acceptance: ACPI tables, the local APIC and the I/O APIC in use (symmetric I/O
    /// mode), and /init's "poweroff -f" ending in ACPI soft-off (SLP_TYP S5 with SLP_EN in PM1a_CNT).
    /// </summary>
    [LinuxGuestFact]
    public void BootsToInitWithAcpiAndApicsAndPowersOff() => BootsWithAcpiAndPowersOff(run: 1, vcpuFactory: null);

    /// <summary>Run numbers 1..<see cref="LinuxGuest.Repeat"/>, one test case each.</summary>
    public static TheoryData<int> Runs()
    {
        var runs = new TheoryData<int>();
        for (int run = 1; run <= LinuxGuest.Repeat; run++) runs.Add(run);
        return runs;
    }

    /// <summary>Issue 11 acceptance 1, under the SVM front end (2.6.20's init_vmcb intercepts).</summary>
    /// <remarks>Runs <see cref="LinuxGuest.RepeatVariable"/> times (default once): acceptance 1 asks for 5 clean boots.</remarks>
    [LinuxGuestTheory]
    [MemberData(nameof(Runs))]
    public void BootsUnderSvmWithAcpiAndApicsAndPowersOff(int run)
        => BootsWithAcpiAndPowersOff(run, cpu => new FrontEndVcpu(cpu, new JitVirt.Svm.SvmFrontEnd(cpu, new JitVirt.Cpu.Execution.Interpreter(cpu))));

    /// <summary>Issue 11 acceptance 1, under the VMX front end (2.6.20's vmx_vcpu_setup controls).</summary>
    /// <remarks>Runs <see cref="LinuxGuest.RepeatVariable"/> times (default once): acceptance 1 asks for 5 clean boots.</remarks>
    [LinuxGuestTheory]
    [MemberData(nameof(Runs))]
    public void BootsUnderVmxWithAcpiAndApicsAndPowersOff(int run)
        => BootsWithAcpiAndPowersOff(run, cpu => new FrontEndVcpu(cpu, new JitVirt.Vmx.VmxFrontEnd(cpu, new JitVirt.Cpu.Execution.Interpreter(cpu))));

    private void BootsWithAcpiAndPowersOff(int run, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory)
    {
        output.WriteLine($"run {run} of {LinuxGuest.Repeat}");
        var boot = Boot(LinuxGuest.AcpiCommandLine, vcpuFactory);
        Assert.True(boot.Result.Outcome == RunOutcome.PowerOff, boot.Describe("the guest should power off through ACPI"));
        Assert.True(boot.Console.Contains(LinuxGuest.Marker + " uptime:", StringComparison.Ordinal), boot.Describe("no boot marker"));
        Assert.False(boot.Console.Contains("Kernel panic", StringComparison.Ordinal), boot.Describe("kernel panic"));
        Assert.True(boot.Console.Contains("APIC: Switch to symmetric I/O mode setup", StringComparison.Ordinal), boot.Describe("the I/O APIC should be in use"));
        Assert.False(boot.Console.Contains("ACPI Error", StringComparison.Ordinal), boot.Describe("ACPICA reported an error"));
    }

    private JitVirtBoot Boot(string commandLine, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = null)
    {
        var boot = JitVirtBoot.Run(commandLine, vcpuFactory);
        output.WriteLine($"-append \"{commandLine}\": {boot.Result} in {boot.Result.WallTime.TotalSeconds:F0} s");
        output.WriteLine(boot.Console);
        return boot;
    }
}
