using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>The machine's side of the core's MSR hooks: the TSC time base and IA32_APIC_BASE.</summary>
public class CpuHookTests
{
    [Fact]
    public void WrmsrApicBaseMovesTheApicRegisterPage()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        Assert.True(m.Mmio.IsMapped(0xFEE0_0000));
        // IA32_APIC_BASE: base FED00000h, global enable (bit 11), BSP (bit 8) — SDM vol.3 §11.4.4.
        Assert.True(m.Cpu.Msrs.TryWrite(ApicMsrBridge.Ia32ApicBase, 0xFED0_0900));
        Assert.Equal(0xFED0_0000ul, m.LocalApic.BaseAddress);
        Assert.True(m.Mmio.IsMapped(0xFED0_0000));
        Assert.False(m.Mmio.IsMapped(0xFEE0_0000));
        Assert.Equal(0x0005_0014ul, m.Memory.Read(0xFED0_0030, 4)); // APIC version register at the new base
    }

    [Fact]
    public void TscCountsVirtualNanoseconds()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Boot(TestGuests.RealMode(a =>
        {
            for (int i = 0; i < 100; i++) a.nop();
            a.hlt();
        }));
        m.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal((ulong)m.Clock.NowNanoseconds, m.Cpu.Msrs.Tsc); // reset at virtual time 0, 1 GHz
        Assert.True(m.Cpu.Msrs.Tsc >= 100);
    }
}
