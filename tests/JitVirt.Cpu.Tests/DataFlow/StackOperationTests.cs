using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class StackOperationTests
{
    [Fact]
    public void RealModePushSpPushaPopaAndImmediates()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a =>
        {
            a.push(sp);          // pushes the old SP, FFFE, at FFFC (SDM PUSH: 286 and later)
            a.pop(ax);
            a.mov(__word_ptr[0x600], ax);
            a.push(-2);          // 6A FE: sign-extended to FFFE
            a.pop(__word_ptr[0x602]);
            a.mov(ax, 0x1111); a.mov(cx, 0x2222); a.mov(dx, 0x3333); a.mov(bx, 0x4444);
            a.mov(bp, 0x5555); a.mov(si, 0x6666); a.mov(di, 0x7777);
            a.pusha();
            a.mov(ax, 0); a.mov(cx, 0); a.mov(dx, 0); a.mov(bx, 0); a.mov(bp, 0); a.mov(si, 0); a.mov(di, 0);
            a.popa();
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal((ushort)0xFFFE, m.Word(0x600));
        Assert.Equal((ushort)0xFFFE, m.Word(0x602));
        // PUSHA image (SDM PUSHA): AX at FFFC down to DI at FFEE, the SP slot holding FFFE.
        ushort[] image = { 0x7777, 0x6666, 0x5555, 0xFFFE, 0x4444, 0x3333, 0x2222, 0x1111 };
        for (int k = 0; k < 8; k++) Assert.Equal(image[k], m.Word(0xFFEEul + 2ul * (ulong)k));
        var g = m.Cpu.Gpr;
        Assert.Equal(new ulong[] { 0x1111, 0x2222, 0x3333, 0x4444, 0xFFFE, 0x5555, 0x6666, 0x7777 }, g.Take(8).Select(v => v & 0xFFFF).ToArray());
    }

    [Fact]
    public void ThirtyTwoBitPushEspAndPopIntoEspAddressedMemory()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a =>
        {
            a.push(esp);                         // [7FFC] = 8000
            a.pop(eax);                          // ESP back to 8000
            a.pop(__dword_ptr[esp]);             // pops AAAAAAAA, ESP = 8004, writes [8004]
            a.push(__word_ptr[0x3000]);          // 16-bit push in 32-bit code: ESP - 2
            a.hlt();
        });
        m.Memory.WriteBytes(0x8000, BitConverter.GetBytes(0xAAAA_AAAAu));
        m.Memory.WriteBytes(0x8004, BitConverter.GetBytes(0xBBBB_BBBBu));
        m.Memory.WriteBytes(0x3000, BitConverter.GetBytes((ushort)0xC0DE));
        m.EnterProtected32(0x1000, 0x8000);
        Assert.Equal(StopReason.Halted, m.Run(100));
        Assert.Equal(0x8000ul, m.Cpu.Gpr[Gpr.Rax]);
        Assert.Equal(0xAAAA_AAAAu, m.Dword(0x8004));
        Assert.Equal(0x8002ul, m.Cpu.Gpr[Gpr.Rsp]);
        Assert.Equal((ushort)0xC0DE, m.Word(0x8002));
    }

    [Fact]
    public void SixtyFourBitStackWidths()
    {
        using var m = new TestMachine();
        m.Memory.RamSpan(0x7FF0, 16).Fill(0xCC);
        m.Load(64, 0x10000, a =>
        {
            a.push(unchecked((int)0x8000_0000));   // PUSH imm32 sign-extended: FFFFFFFF80000000 at 7FF8
            a.push(fs);                            // 8-byte slot at 7FF0; a 16-bit selector write
            a.pop(rbx);
            a.pop(rcx);
            a.push(ax);                            // 66 50: 2-byte push
            a.pop(dx);
            a.hlt();
        });
        m.EnterLong64(0x10000, 0x8000);
        m.Cpu.Segments[SegmentIndex.Fs].Selector = 0x1234;
        m.Cpu.Gpr[Gpr.Rax] = 0xFFFF_FFFF_FFFF_5678;
        Assert.Equal(StopReason.Halted, m.Run(100));
        var g = m.Cpu.Gpr;
        Assert.Equal(0xFFFF_FFFF_8000_0000ul, g[Gpr.Rcx]);
        // Recent Intel processors write only the selector (SDM PUSH): the upper 6 bytes keep CC.
        Assert.Equal(0xCCCC_CCCC_CCCC_1234ul, g[Gpr.Rbx]);
        Assert.Equal(0x5678ul, g[Gpr.Rdx] & 0xFFFF);
        Assert.Equal(0x8000ul, g[Gpr.Rsp]);
    }

    [Fact]
    public void EnterWithNestingLevelThreeAndLeave()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x7FFE, BitConverter.GetBytes((ushort)0x1111));
        m.Memory.WriteBytes(0x7FFC, BitConverter.GetBytes((ushort)0x2222));
        m.Load(16, 0x7C00, a =>
        {
            a.mov(dx, 0xE9);
            a.enter(0x10, 3);
            a.mov(ax, bp); a.@out(dx, ax);
            a.mov(ax, sp); a.@out(dx, ax);
            a.leave();
            a.mov(ax, bp); a.@out(dx, ax);
            a.mov(ax, sp); a.@out(dx, ax);
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        m.Cpu.Gpr[Gpr.Rsp] = 0x7000;
        m.Cpu.Gpr[Gpr.Rbp] = 0x8000;
        Assert.Equal(StopReason.Halted, m.Run(100));
        // Worked from the SDM's ENTER operation: push BP (6FFE), FrameTemp = 6FFE, two display
        // entries from BP-2 and BP-4 (6FFC, 6FFA), FrameTemp (6FF8), SP = 6FF8 - 10 = 6FE8.
        Assert.Equal(new uint[] { 0x6FFE, 0x6FE8, 0x8000, 0x7000 }, m.Printed());
        Assert.Equal((ushort)0x8000, m.Word(0x6FFE));
        Assert.Equal((ushort)0x1111, m.Word(0x6FFC));
        Assert.Equal((ushort)0x2222, m.Word(0x6FFA));
        Assert.Equal((ushort)0x6FFE, m.Word(0x6FF8));
    }

    [Fact]
    public void StackFaultLeavesRspUntouched()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.push(eax));
        m.EnterProtected32(0x1000, 0x2002);
        m.Cpu.Segments[SegmentIndex.Ss].Limit = 0x1FFF; // the push would write 1FFE..2001
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.StackFault, 0);
        Assert.Equal(0x2002ul, m.Cpu.Gpr[Gpr.Rsp]);
        Assert.Equal(0x1000ul, m.Cpu.Rip);
    }

    [Fact]
    public void PushSegmentWith32BitOperandAndPopSsShadow()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x7C00, new byte[] { 0x66, 0x1E, 0x17 }); // o32 PUSH DS; POP SS
        m.Memory.RamSpan(0x7FFC, 4).Fill(0xCC);
        m.StartRealMode(0, 0x7C00);
        m.Cpu.LoadRealModeSegment(SegmentIndex.Ds, 0x1234);
        m.Cpu.Gpr[Gpr.Rsp] = 0x8000;
        Assert.True(m.Step());
        Assert.Equal(0x7FFCul, m.Cpu.Gpr[Gpr.Rsp]);
        Assert.Equal(0xCCCC_1234u, m.Dword(0x7FFC));
        Assert.True(m.Step()); // POP SS takes the low word, SP moves by 2
        Assert.Equal(0x12340ul, m.Cpu.Segments[SegmentIndex.Ss].Base);
        Assert.Equal(0x7FFEul, m.Cpu.Gpr[Gpr.Rsp]);
        Assert.True(m.Cpu.InterruptShadow);
    }
}
