using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>The integer handlers run through the tier-0 interpreter's decoded blocks (lazy flags carried across instructions).</summary>
public class InterpreterPathTests
{
    [Fact]
    public void RealModeSequenceThroughTheInterpreter()
    {
        using var m = new Support.TestMachine();
        m.Load(16, 0x7C00, a =>
        {
            a.xor(ax, ax);        // AX = 0, CF = 0
            a.add(ax, 0x1234);
            a.shl(ax, 4);         // 0x2340, CF = 1 (bit 12 of 0x1234)
            a.adc(ax, 0);         // 0x2341
            a.stc();
            a.rcr(al, 1);         // CF:AL = 1:0x41 → AL = 0xA0, CF = 1
            a.setc(bl);
            a.imul(cx, ax, 3);    // 0x23A0 · 3 = 0x6AE0
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.BudgetExhausted, m.Run(8));
        var cpu = m.Cpu;
        Assert.Equal(0x23A0ul, cpu.Gpr[G.Rax] & 0xFFFF);
        Assert.Equal(1ul, cpu.Gpr[G.Rbx] & 0xFF);
        Assert.Equal(0x6AE0ul, cpu.Gpr[G.Rcx] & 0xFFFF);
        Assert.Equal(0ul, cpu.GetRflags() & (CF | OF));
        Assert.Equal(8L, cpu.InstructionsRetired);
    }
}
