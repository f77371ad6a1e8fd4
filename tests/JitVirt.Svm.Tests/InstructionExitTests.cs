using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// Instruction intercepts (AMD APM vol.2 §15.7–15.9, codes in Appendix C): each test runs the
/// instruction in a small guest and checks EXITCODE, EXITINFO1/2, EXITINTINFO and the saved RIP
/// against values from the manual and from the instruction it assembled.
/// </summary>
public class InstructionExitTests
{
    [Fact]
    public void MsrExitsSayReadOrWriteAndPassThroughMsrsDoNotExit()
    {
        Label rd = default, wr = default;
        using var g = new SvmGuest(64, a =>
        {
            rd = a.CreateLabel(); wr = a.CreateLabel();
            a.mov(ecx, 0x1B); // IA32_APIC_BASE: intercepted
            a.Label(ref rd);
            a.rdmsr();
            a.mov(r8, rax);
            a.mov(ecx, 0x277); // IA32_PAT
            a.mov(eax, 0x0006_0406);
            a.mov(edx, 0x0007_0406);
            a.Label(ref wr);
            a.wrmsr();
            a.mov(ecx, 0xC000_0081); // STAR: passed through by 2.6.20
            a.rdmsr();
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var msr = g.ExitsWith(0x7C).ToList();
        Assert.Equal(2, msr.Count);
        Assert.Equal((0ul, 0ul, g.Rip(rd)), (msr[0].Info1, msr[0].Info2, msr[0].Rip)); // EXITINFO1 = 0: RDMSR
        Assert.Equal((1ul, 0ul, g.Rip(wr)), (msr[1].Info1, msr[1].Info2, msr[1].Rip)); // EXITINFO1 = 1: WRMSR
        Assert.Equal(0xFEE0_0900ul, g.Cpu.Gpr[Gpr.R8]); // the APIC base reset value (SDM vol.3 §12.4.4)
        Assert.Equal(0x0007_0406_0006_0406ul, g.Cpu.Msrs.Pat);
    }

    [Fact]
    public void CpuidExitsAndAnswersFromTheSharedModel()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(eax, 0x8000_000A);
            a.Label(ref at);
            a.cpuid();
            a.hlt();
        }, asids: new AsidAllocator(16));
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(0x72);
        Assert.Equal((0ul, 0ul, g.Rip(at)), (e.Info1, e.Info2, e.Rip));
        Assert.Equal(16ul, g.Cpu.Gpr[Gpr.Rbx]); // NASID in CPUID 0x8000000A EBX
    }

    [Fact]
    public void HltExitsSkipsTheInstructionAndReturnsToTheMachine()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.nop();
            a.Label(ref at);
            a.hlt(); // F4
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(0x78);
        Assert.Equal((0ul, 0ul, g.Rip(at)), (e.Info1, e.Info2, e.Rip));
        Assert.Equal(g.Rip(at) + 1, g.Svm.Vmcb.Rip);
        Assert.Equal(1, g.Svm.Exits.Snapshot().Single(r => r.Name == "hlt").Count);
    }

    public static TheoryData<byte, int> SvmInstructions => new()
    {
        // 0F 01 D8..DF (APM vol.3): VMRUN 0x80, VMMCALL 0x81, VMLOAD 0x82, VMSAVE 0x83, STGI 0x84,
        // CLGI 0x85, SKINIT 0x86, INVLPGA 0x7A (APM vol.2 Appendix C).
        { 0xD8, 0x80 }, { 0xD9, 0x81 }, { 0xDA, 0x82 }, { 0xDB, 0x83 }, { 0xDC, 0x84 }, { 0xDD, 0x85 }, { 0xDE, 0x86 }, { 0xDF, 0x7A },
    };

    [Theory]
    [MemberData(nameof(SvmInstructions))]
    public void SvmInstructionsExitAndGetUd(byte modrm, int exitCode)
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.xor(eax, eax);
            a.Label(ref at);
            a.db(0x0F, 0x01, modrm);
            a.hlt();
        });
        g.Run(); // the #UD the handler injects finds no IDT: the guest shuts down
        var first = g.Exits[0];
        Assert.Equal((ulong)exitCode, first.Code);
        Assert.Equal((0ul, 0ul, g.Rip(at)), (first.Info1, first.Info2, first.Rip));
        Assert.Equal(0u, first.IntInfo);
    }

    [Fact]
    public void InvlpgExitsAndInvalidatesThePageForTheGuestsAsid()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(rax, 0x12_3000);
            a.Label(ref at);
            a.invlpg(__byte_ptr[rax]);
            a.hlt();
        });
        int flushes = 0;
        g.Cpu.TlbFlushed += () => flushes++;
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(0x79);
        Assert.Equal((0ul, 0ul, g.Rip(at)), (e.Info1, e.Info2, e.Rip)); // no decode assists in 2007: EXITINFO1 = 0
        Assert.True(flushes >= 2, $"{flushes} flushes"); // the first VMRUN's FLUSH_ALL_ASID and INVLPGA's page flush
    }

    [Fact]
    public void RdtscPauseAndRdtscpExitWhenAVmmInterceptsThem()
    {
        Label t = default, p = default, tp = default;
        using var g = new SvmGuest(64, a =>
        {
            t = a.CreateLabel(); p = a.CreateLabel(); tp = a.CreateLabel();
            a.Label(ref t);
            a.rdtsc();
            a.Label(ref p);
            a.pause();
            a.Label(ref tp);
            a.rdtscp();
            a.hlt();
        });
        g.Svm.Vmcb.InterceptWord1 |= InterceptWord1.Rdtsc | InterceptWord1.Pause;
        g.Svm.Vmcb.InterceptWord2 |= InterceptWord2.Rdtscp;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(g.Rip(t), g.Single(0x6E).Rip);
        Assert.Equal(g.Rip(p), g.Single(0x77).Rip);
        Assert.Equal(g.Rip(tp), g.Single(0x87).Rip);
        Assert.Equal(g.Rip(tp) + 3, g.Single(0x78).Rip); // the emulated RDTSCP (0F 01 F9) moved RIP on to the HLT
    }

    [Fact]
    public void IretAndIntNExitInRealModeAndAreCompletedByTheVmm()
    {
        Label iret = default, intn = default, back = default, handler = default;
        using var g = new SvmGuest(16, a =>
        {
            iret = a.CreateLabel(); intn = a.CreateLabel(); back = a.CreateLabel(); handler = a.CreateLabel();
            a.pushf();
            a.push(cs);
            a.call(iret);     // pushes the IP of the INT below: the IRET returns there
            a.Label(ref intn);
            a.@int(0x21);
            a.Label(ref back);
            a.hlt();
            a.Label(ref iret);
            a.iret();
            a.Label(ref handler);
            a.mov(bx, 0x4242);
            a.iret();
        });
        ushort handlerIp = (ushort)g.Rip(handler);
        g.Memory.WriteBytes(0x21 * 4, [(byte)handlerIp, (byte)(handlerIp >> 8), 0x00, 0x10]); // IVT[21h] = 1000:handler
        g.Svm.Vmcb.InterceptWord1 |= InterceptWord1.Iret | InterceptWord1.Intn;
        Assert.Equal(StopReason.Halted, g.Run());
        var iretExits = g.ExitsWith(0x74).ToList();
        Assert.Equal(2, iretExits.Count);
        Assert.Equal(g.Rip(iret), iretExits[0].Rip);
        Assert.Equal(g.Rip(handler) + 3, iretExits[1].Rip); // MOV BX, imm16 is 3 bytes (BB iw)
        var swint = g.Single(0x75);
        Assert.Equal((0ul, 0ul, g.Rip(intn)), (swint.Info1, swint.Info2, swint.Rip)); // INTn intercept: RIP at the INT
        Assert.Equal(0x4242ul, g.Cpu.Gpr[Gpr.Rbx] & 0xFFFF);
        Assert.Equal(g.Rip(back), g.Single(0x78).Rip); // the handler's IRET came back after INT 21h
    }
}
