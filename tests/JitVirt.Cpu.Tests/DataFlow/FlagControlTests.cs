using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class FlagControlTests
{
    [Fact]
    public void RealModePopfWritesIoplAndIf()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => { a.push(0x3AD7); a.popf(); a.pushf(); a.pop(ax); a.hlt(); });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(100));
        // 3AD7 → bits 15:0 writable except reserved 1, 3, 5, 15: 3AD7 & ~0x8028 | 2 = 3AD7 (bits 3/5 clear already).
        Assert.Equal(0x3AD7ul, m.Cpu.Gpr[Gpr.Rax]);
        Assert.Equal(3, m.Cpu.Iopl);
        Assert.True(m.Cpu.InterruptFlag);
    }

    [Fact]
    public void PopfAtCpl3WithIopl0KeepsIfAndIopl()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.popfd());
        m.EnterProtected32(0x1000, 0x8000, cpl: 3);
        m.Memory.WriteBytes(0x8000, BitConverter.GetBytes(0x0000_3201u)); // IOPL 3, IF, CF
        Assert.True(m.Step());
        Assert.Equal(Rflags.Reserved1 | Rflags.CF, m.Cpu.GetRflags());
        Assert.Equal(0x8004ul, m.Cpu.Gpr[Gpr.Rsp]);
    }

    [Fact]
    public void PopfAtCpl3WithIopl3ChangesIfButNotIopl()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.popfd());
        m.EnterProtected32(0x1000, 0x8000, cpl: 3, flags: Rflags.IoplMask);
        m.Memory.WriteBytes(0x8000, BitConverter.GetBytes(0x0000_0201u)); // IOPL 0, IF, CF
        Assert.True(m.Step());
        Assert.Equal(Rflags.Reserved1 | Rflags.CF | Rflags.IF | Rflags.IoplMask, m.Cpu.GetRflags());
    }

    [Fact]
    public void PopfAtCpl0NeverChangesVmRfVifVip()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.popfd());
        m.EnterProtected32(0x1000, 0x8000);
        // ID | VIP | VIF | VM | RF | IOPL 2 | IF | ZF
        m.Memory.WriteBytes(0x8000, BitConverter.GetBytes(0x003B_2240u));
        Assert.True(m.Step());
        Assert.Equal(Rflags.Reserved1 | Rflags.ID | (2ul << 12) | Rflags.IF | Rflags.ZF, m.Cpu.GetRflags());
        Assert.Equal(OperatingMode.Protected, m.Cpu.Mode);
    }

    [Fact]
    public void V86PopfWithIoplBelow3IsGeneralProtectionWithoutVme()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => a.popf());
        m.EnterV86(0, 0x7C00, 0x8000, iopl: 0);
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Equal(0x8000ul, m.Cpu.Gpr[Gpr.Rsp]);
    }

    [Fact]
    public void V86PopfWithVmeMovesPoppedIfIntoVif()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => { a.popf(); a.pushf(); });
        m.EnterV86(0, 0x7C00, 0x8000, iopl: 0, cr4: State.Cr4.VME);
        m.Memory.WriteBytes(0x8000, BitConverter.GetBytes((ushort)0x0241)); // IF, ZF, CF
        Assert.True(m.Step());
        ulong f = m.Cpu.GetRflags();
        Assert.Equal(Rflags.VIF | Rflags.ZF | Rflags.CF, f & (Rflags.VIF | Rflags.IF | Rflags.ZF | Rflags.CF));
        Assert.True(m.Step()); // PUSHF under VME: IF shows VIF, IOPL shows 3
        Assert.Equal((ushort)(0x3000 | 0x0200 | 0x0041 | 2), m.Word(0x8000));
    }

    [Fact]
    public void CliAtCpl3WithIopl0IsGeneralProtection()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.cli());
        m.EnterProtected32(0x1000, 0x8000, cpl: 3, flags: Rflags.IF);
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.True(m.Cpu.InterruptFlag);
    }

    [Fact]
    public void CliAtCpl3WithPviClearsVif()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.cli());
        m.EnterProtected32(0x1000, 0x8000, cpl: 3, flags: Rflags.IF | Rflags.VIF);
        m.Cpu.Cr4 |= State.Cr4.PVI;
        Assert.True(m.Step());
        Assert.True(m.Cpu.InterruptFlag);
        Assert.Equal(0ul, m.Cpu.GetRflags() & Rflags.VIF);
    }

    [Fact]
    public void StiSetsTheShadowOnlyWhenIfWasClear()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => { a.sti(); a.sti(); a.cli(); });
        m.StartRealMode(0, 0x7C00);
        Assert.True(m.Step());
        Assert.True(m.Cpu.InterruptFlag);
        Assert.True(m.Cpu.InterruptShadow);
        Assert.True(m.Step());
        Assert.False(m.Cpu.InterruptShadow);
        Assert.True(m.Step());
        Assert.False(m.Cpu.InterruptFlag);
    }

    [Fact]
    public void HltOutsideCpl0IsGeneralProtection()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.hlt());
        m.EnterProtected32(0x1000, 0x8000, cpl: 3);
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
    }
}
