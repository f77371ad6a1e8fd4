using Xunit;

namespace JitVirt.Vmx.Tests;

/// <summary>The handler table is indexed by basic exit reason (SDM vol.3C Appendix C) with the names perf kvm stat prints for VMX.</summary>
public sealed class HandlerTableTests
{
    [Theory]
    [InlineData(0, "EXCEPTION_NMI")]
    [InlineData(1, "EXTERNAL_INTERRUPT")]
    [InlineData(2, "TRIPLE_FAULT")]
    [InlineData(7, "INTERRUPT_WINDOW")]
    [InlineData(9, "TASK_SWITCH")]
    [InlineData(10, "CPUID")]
    [InlineData(12, "HLT")]
    [InlineData(14, "INVLPG")]
    [InlineData(16, "RDTSC")]
    [InlineData(28, "CR_ACCESS")]
    [InlineData(29, "DR_ACCESS")]
    [InlineData(30, "IO_INSTRUCTION")]
    [InlineData(31, "MSR_READ")]
    [InlineData(32, "MSR_WRITE")]
    public void RowsCarryKvmNamesAndHandlers(int reason, string name)
    {
        Assert.Equal(name, VmxExitHandlers.Kinds[reason]!.Value.Name);
        Assert.True(VmxExitHandlers.Has(reason));
    }

    [Fact]
    public void AllTenOf2620HandlersArePresent()
    {
        // kvm_vmx_exit_handlers[] in 2.6.20: exception, external interrupt, I/O, CR, DR, CPUID, RDMSR, WRMSR, interrupt window, HLT.
        foreach (int reason in new[] { 0, 1, 30, 28, 29, 10, 31, 32, 7, 12 }) Assert.True(VmxExitHandlers.Has(reason), $"reason {reason}");
        Assert.Equal(56, VmxExitHandlers.Kinds.Length);
    }
}
