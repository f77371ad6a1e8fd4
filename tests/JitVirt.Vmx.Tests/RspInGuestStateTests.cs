using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// RSP is part of the VMCS guest-state area (SDM vol.3C §25.4.1) and every VM entry loads it from
/// there, so a handler that writes RSP as an instruction's destination must write GUEST_RSP.
/// Linux's PTI system-call entry does <c>mov %cr3, %rsp</c>, which exits under CR3-store exiting
/// (a default-1 control of first-generation VT-x); Debian's 6.1 kernel took a double fault at the
/// following <c>mov %rsp, %cr3</c> when the handler's RSP was lost.
/// </summary>
public sealed class RspInGuestStateTests
{
    const ulong GuestCr3 = 0x0012_3000;

    [Fact]
    public void MovFromCr3IntoRspKeepsTheValueAcrossTheEntry()
    {
        using var g = new VmxGuest(a =>
        {
            a.mov(rsp, cr3);
            a.mov(rax, rsp);
            a.@out(0x80, eax);
            a.hlt();
        }, setup: cpu => cpu.Cr3 = GuestCr3);

        Assert.Equal(StopReason.Halted, g.Run());

        Assert.Contains(g.Exits, e => e.BasicReason == 28);   // CR_ACCESS (SDM vol.3C Appendix C)
        Assert.Equal(new uint[] { (uint)GuestCr3 }, g.Ports.Accesses.Select(x => x.Value).ToArray());
        Assert.Equal(GuestCr3, g.Cpu.Gpr[Gpr.Rsp]);
    }

    [Fact]
    public void MovFromDr7IntoRspKeepsTheValueAcrossTheEntry()
    {
        // DR7 after reset reads 0x400 (SDM vol.3 §18.2.4: bit 10 reads 1).
        using var g = new VmxGuest(a =>
        {
            a.mov(rsp, dr7);
            a.mov(rax, rsp);
            a.@out(0x80, eax);
            a.hlt();
        });

        Assert.Equal(StopReason.Halted, g.Run());

        Assert.Contains(g.Exits, e => e.BasicReason == 29);   // DR_ACCESS
        Assert.Equal(new uint[] { 0x400 }, g.Ports.Accesses.Select(x => x.Value).ToArray());
        Assert.Equal(0x400ul, g.Cpu.Gpr[Gpr.Rsp]);   // and still in RSP after the HLT exit saved GUEST_RSP
    }
}
