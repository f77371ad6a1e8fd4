using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Segments;

/// <summary>LAR, LSL, VERR, VERW, ARPL, LLDT, SLDT, LTR, STR (SDM vol.2).</summary>
public class SegmentInstructionTests
{
    const byte GP = ExceptionVector.GeneralProtection;

    static SegmentsMachine Setup(bool ring3 = false)
    {
        var s = new SegmentsMachine();
        // base 0x12345678, limit 0xABCDE pages, G=1 D=1, P DPL3 S type 3: bytes 4-7 = 12 CA F3 34.
        s.SetGdt(9, Desc.Segment(0x1234_5678, 0xABCDE, 0x3, 3, g: true));
        s.SetGdt(10, Desc.Segment(0, 0x1234, 0x0, 3, db: false)); // read-only data, byte granular
        s.SetGdt(11, Desc.Segment(0, 0xFFFF, 0x8, 3));             // execute-only code
        s.SetGdt(12, Desc.Gate(0x08, 0, SystemDescriptorType.CallGate32, 3));
        if (ring3) s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3);
        else s.EnterProtected();
        return s;
    }

    static bool Zf(SegmentsMachine s) => s.Cpu.GetZeroFlag();

    [Fact]
    public void LarReturnsMaskedAccessRights()
    {
        using var s = Setup(ring3: true);
        s.Code(32, a => { a.lar(eax, ebx); a.lar(ax, bx); a.lar(ecx, edx); });
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x4B;
        s.Cpu.Gpr[State.Gpr.Rdx] = 0x10;          // DPL 0 data at CPL 3: invisible
        s.Cpu.Gpr[State.Gpr.Rcx] = 0x5555_5555;
        s.Steps(1);
        Assert.Equal(0x00C0_F300ul, s.Cpu.Gpr[0]);
        Assert.True(Zf(s));
        s.Cpu.Gpr[0] = 0xFFFF_FFFF;
        s.Steps(1);
        Assert.Equal(0xFFFF_F300ul, s.Cpu.Gpr[0]);
        s.Steps(1);
        Assert.False(Zf(s));
        Assert.Equal(0x5555_5555ul, s.Cpu.Gpr[State.Gpr.Rcx]);
    }

    [Fact]
    public void LslReturnsTheScaledLimitAndRejectsGates()
    {
        using var s = Setup();
        s.Code(32, a => { a.lsl(eax, ebx); a.lsl(ecx, edx); a.lsl(esi, edi); });
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x48;
        s.Cpu.Gpr[State.Gpr.Rdx] = 0x50;
        s.Cpu.Gpr[State.Gpr.Rdi] = 0x60; // call gate: valid for LAR, not for LSL
        s.Steps(1);
        Assert.Equal(0xABCD_EFFFul, s.Cpu.Gpr[0]);
        Assert.True(Zf(s));
        s.Steps(1);
        Assert.Equal(0x1234ul, s.Cpu.Gpr[State.Gpr.Rcx]);
        s.Steps(1);
        Assert.False(Zf(s));
    }

    [Fact]
    public void VerrAndVerw()
    {
        using var s = Setup(ring3: true);
        s.Code(32, a => { a.verr(ax); a.verr(bx); a.verw(bx); a.verw(cx); a.verw(dx); a.verr(si); });
        s.Cpu.Gpr[0] = 0x5B;  // execute-only code
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x4B; // writable data DPL 3
        s.Cpu.Gpr[State.Gpr.Rcx] = 0x53; // read-only data
        s.Cpu.Gpr[State.Gpr.Rdx] = 0x1B; // code
        s.Cpu.Gpr[State.Gpr.Rsi] = 0x10; // DPL 0 data at CPL 3
        bool[] expected = [false, true, true, false, false, false];
        foreach (bool e in expected)
        {
            s.Steps(1);
            Assert.Equal(e, Zf(s));
        }
    }

    [Fact]
    public void ArplRaisesRplAndReportsIt()
    {
        using var s = Setup();
        s.Code(32, a => { a.arpl(ax, bx); a.arpl(ax, bx); });
        s.Cpu.Gpr[0] = 0xABCD_0010;
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x0003;
        s.Steps(1);
        Assert.Equal(0xABCD_0013ul, s.Cpu.Gpr[0]);
        Assert.True(Zf(s));
        s.Steps(1);
        Assert.False(Zf(s));
    }

    [Fact]
    public void LtrMarksTheTssBusyAndRefusesBusyOnesAndRing3()
    {
        using var s = Setup();
        s.SetGdt(13, Desc.Tss(0x3000, 0x67, SystemDescriptorType.Tss32Available));
        s.Code(32, a => { a.ltr(ax); a.str(ecx); a.ltr(ax); });
        s.Cpu.Gpr[0] = 0x68;
        s.Steps(2);
        Assert.Equal((ushort)0x68, s.Cpu.Tr.Selector);
        Assert.Equal(0x3000ul, s.Cpu.Tr.Base);
        Assert.Equal(SystemDescriptorType.Tss32Busy, (uint)(s.Gdt(13) >> 40) & 0xF);
        Assert.Equal(0x68ul, s.Cpu.Gpr[State.Gpr.Rcx]);
        Assert.False(s.Step());
        s.AssertFault(GP, 0x68);

        using var r3 = Setup(ring3: true);
        r3.Code(32, a => a.ltr(ax));
        r3.Cpu.Gpr[0] = 0x68;
        Assert.False(r3.Step());
        r3.AssertFault(GP, 0);
    }

    [Fact]
    public void LldtNullMakesLdtrUnusableAndSldtStoresTheSelector()
    {
        using var s = Setup();
        s.SetGdt(13, Desc.Segment((uint)SegmentsMachine.LdtBase, 0xFF, SystemDescriptorType.Ldt, 0, s: false, db: false));
        s.Code(32, a => { a.lldt(ax); a.sldt(__word_ptr[0x5000]); a.lldt(bx); a.lldt(cx); });
        s.Cpu.Gpr[0] = 0x68;
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x0;
        s.Cpu.Gpr[State.Gpr.Rcx] = 0x48; // a data segment
        s.Steps(2);
        Assert.Equal(SegmentsMachine.LdtBase, s.Cpu.Ldtr.Base);
        Assert.Equal((ushort)0x68, s.Read16(0x5000));
        s.Steps(1);
        Assert.False(s.Cpu.Ldtr.IsUsable);
        Assert.False(s.Step());
        s.AssertFault(GP, 0x48);
    }

    [Fact]
    public void DescriptorInstructionsAreUndefinedInRealMode()
    {
        using var s = new SegmentsMachine();
        s.Code(16, a => a.lar(ax, bx), 0x7C00);
        s.M.StartRealMode(0, 0x7C00);
        Assert.False(s.Step());
        s.AssertFault(ExceptionVector.InvalidOpcode, null);
    }
}
