using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void CpuidThenHltExitsWithTheirReasons()
    {
        using var g = new VmxGuest(a => { a.mov(eax, 0); a.cpuid(); a.hlt(); });
        var stop = g.Run();
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(new[] { 10, 12 }, g.Exits.Select(e => e.BasicReason).ToArray());
    }
}
