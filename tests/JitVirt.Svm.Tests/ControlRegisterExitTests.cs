using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// CR and DR intercepts (AMD APM vol.2 §15.8: codes 0x00+n read CRn, 0x10+n write, 0x20+n read
/// DRn, 0x30+n write; EXITINFO1 = 0 without decode assists), the 2.6.20 default set, and its debug
/// register model: DR0–DR3 kept in software, loaded only while DR7 enables them.
/// </summary>
public class ControlRegisterExitTests
{
    [Fact]
    public void MovCrAndMovDrExitWithTheirCodesAndAreEmulated()
    {
        Label rcr0 = default, wcr0 = default, rcr3 = default, wcr3 = default, rcr4 = default, wcr4 = default;
        Label wdr0 = default, rdr0 = default, wdr7 = default;
        using var g = new SvmGuest(64, a =>
        {
            rcr0 = a.CreateLabel(); wcr0 = a.CreateLabel(); rcr3 = a.CreateLabel(); wcr3 = a.CreateLabel();
            rcr4 = a.CreateLabel(); wcr4 = a.CreateLabel(); wdr0 = a.CreateLabel(); rdr0 = a.CreateLabel(); wdr7 = a.CreateLabel();
            a.Label(ref rcr0); a.mov(rax, cr0);
            a.Label(ref wcr0); a.mov(cr0, rax);
            a.Label(ref rcr3); a.mov(rbx, cr3);
            a.Label(ref wcr3); a.mov(cr3, rbx);
            a.Label(ref rcr4); a.mov(rcx, cr4);
            a.Label(ref wcr4); a.mov(cr4, rcx);
            a.mov(rdx, 0x1234_5678_9ABC);
            a.Label(ref wdr0); a.mov(dr0, rdx);
            a.Label(ref rdr0); a.mov(rsi, dr0);
            a.mov(rdx, 0x401); // L0: breakpoint 0 enabled
            a.Label(ref wdr7); a.mov(dr7, rdx);
            a.mov(rdi, dr6);  // DR6 reads are not intercepted by 2.6.20
            a.hlt();
        }, setup: s => s.Cpu.Cr3 = 0x5000);
        Assert.Equal(StopReason.Halted, g.Run());
        (int Code, Label At)[] expected =
        [
            (0x00, rcr0), (0x10, wcr0), (0x03, rcr3), (0x13, wcr3), (0x04, rcr4), (0x14, wcr4), (0x30, wdr0), (0x20, rdr0), (0x37, wdr7),
        ];
        var exits = g.Exits.Where(e => e.Code != 0x78).ToList();
        Assert.Equal(expected.Select(x => ((ulong)x.Code, g.Rip(x.At), 0ul, 0ul)), exits.Select(e => (e.Code, e.Rip, e.Info1, e.Info2)));
        Assert.Equal(0x5000ul, g.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(Cr4.PAE, g.Cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(0x1234_5678_9ABCul, g.Cpu.Gpr[Gpr.Rsi]); // served from the software DR0
        Assert.Equal(0x1234_5678_9ABCul, g.Svm.DebugRegisters[0]);
        Assert.Equal(0xFFFF_0FF0ul, g.Cpu.Gpr[Gpr.Rdi]);
        Assert.Equal(0x401ul, g.Svm.Vmcb.Dr7);
        Assert.Equal(0x1234_5678_9ABCul, g.Cpu.Dr[0]); // DR7.L0 set: the guest's DR0 is in the processor
    }

    [Fact]
    public void Dr0StaysOutOfTheProcessorWhileDr7EnablesNothing()
    {
        using var g = new SvmGuest(64, a =>
        {
            a.mov(rax, 0x7777);
            a.mov(dr1, rax);
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(0x7777ul, g.Svm.DebugRegisters[1]);
        Assert.Equal(0ul, g.Cpu.Dr[1]);
    }

    [Fact]
    public void Cr8ReadExitsWhenAVmmSetsItsBit()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.mov(rax, cr8);
            a.hlt();
        });
        g.Svm.Vmcb.InterceptCrRead |= 1 << 8;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(g.Rip(at), g.Single(0x08).Rip);
        Assert.Equal("read_cr8", g.Svm.Exits.Snapshot().Single(r => r.Index == 0x08).Name);
    }

    [Fact]
    public void AnIllegalCr0WriteIsInjectedAsGp()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(rax, cr0);
            a.btr(rax, 0); // PE = 0 with PG = 1: #GP(0) (SDM vol.2 MOV CR0)
            a.Label(ref at);
            a.mov(cr0, rax);
            a.hlt();
        });
        g.Svm.Vmcb.InterceptExceptions |= 1u << 13;
        g.Run();
        Assert.Equal(g.Rip(at), g.Single(0x10).Rip);
        // The write_cr0 handler's emulation raised #GP(0) and injected it. The injected event itself is
        // not checked against the intercepts, but its delivery is: the IDT (base 0, all zero) has no
        // gate for vector 13, so delivering it raises #GP(13 × 8 + IDT 2 + EXT 1) (SDM vol.3 §7.13),
        // which exits with the injected #GP in EXITINTINFO: V | EV | type 3 | vector 13 (APM §15.7.2).
        var gp = g.ExitsWith(0x4D).First();
        Assert.Equal(13ul * 8 + 2 + 1, gp.Info1);
        Assert.Equal(0x8000_0000u | 1u << 11 | 3u << 8 | 13u, gp.IntInfo);
        Assert.Equal(0u, gp.IntInfoError);
        Assert.Equal(g.Rip(at), gp.Rip);
    }
}
