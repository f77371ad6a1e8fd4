using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Segments;

/// <summary>Far JMP / CALL / RET and call gates (SDM vol.2 JMP, CALL, RET; vol.3 §5.8).</summary>
public class FarTransferTests
{
    const byte GP = ExceptionVector.GeneralProtection, NP = ExceptionVector.SegmentNotPresent;
    const byte TS = ExceptionVector.InvalidTss, SS = ExceptionVector.StackFault;

    /// <summary>Installs a 32-bit TSS at 0x3000 (GDT entry 7, selector 0x38) with SS0:ESP0 = ss0:esp0, as the current task.</summary>
    static void InstallTss32(SegmentsMachine s, ushort ss0, uint esp0)
    {
        s.SetGdt(7, Desc.Tss(0x3000, 0x67, SystemDescriptorType.Tss32Busy));
        s.Write32(0x3004, esp0);
        s.Write16(0x3008, ss0);
        s.Cpu.Tr = new SegmentRegister { Selector = 0x38, Base = 0x3000, Limit = 0x67, AccessRights = 0x8B };
    }

    [Fact]
    public void FarJumpFrom16BitProtectedModeTo32BitCode()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x6000, [0x66, 0xEA, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00]); // jmp far ptr16:32 0x08:0x10000 (o32)
        s.Code(32, a => a.str(eax));
        s.EnterProtected(SegmentsMachine.Code16, rip: 0x6000);
        Assert.Equal(CodeMode.Bits16, s.Cpu.CodeMode);
        s.Cpu.Tr.Selector = 0x38;
        s.Cpu.Gpr[0] = 0xFFFF_FFFF;
        Assert.Equal(StopReason.BudgetExhausted, s.M.Run(2));
        Assert.Equal(CodeMode.Bits32, s.Cpu.CodeMode);
        Assert.Equal((ushort)0x08, s.Cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(0x10003ul, s.Cpu.Rip);           // STR EAX is 3 bytes (0F 00 C8)
        Assert.Equal(0x38ul, s.Cpu.Gpr[0]);           // STR r32 zero-extends
    }

    [Fact]
    public void FarJumpChecksRaiseTheSdmErrorCodesAndChangeNothing()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFF, 0xA, 0));                  // code, limit 0xFFF
        s.SetGdt(10, Desc.Segment(0, 0xFFFF, 0xA, 0, present: false));
        s.EnterProtected();
        var cs = s.Cpu.Segments[SegmentIndex.Cs];
        (ushort sel, uint off, byte vector, uint err)[] cases =
        [
            (0x0000, 0, GP, 0),           // null selector
            (0x001B, 0x11000, GP, 0x18),  // non-conforming DPL 3 from CPL 0
            (0x0010, 0, GP, 0x10),        // data segment
            (0x0048, 0x2000, GP, 0),      // offset beyond the limit
            (0x0050, 0, NP, 0x50),        // not present
            (0x0800, 0, GP, 0x800),       // beyond the GDT limit
        ];
        foreach (var (sel, off, vector, err) in cases)
        {
            s.Code(32, a => a.jmp(sel, off));
            s.Cpu.Rip = SegmentsMachine.CodeBase;
            Assert.False(s.Step());
            s.AssertFault(vector, err);
            Assert.Equal(cs, s.Cpu.Segments[SegmentIndex.Cs]);
            Assert.Equal(SegmentsMachine.CodeBase, s.Cpu.Rip);
        }
    }

    [Fact]
    public void ConformingCodeKeepsTheCallersCpl()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Code32(0, conforming: true));
        s.Code(32, a => a.jmp(0x48, 0x10100), 0x11000);
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3, 0x11000);
        s.Steps(1);
        Assert.Equal(3, s.Cpu.Cpl);
        Assert.Equal((ushort)0x4B, s.Cpu.Segments[SegmentIndex.Cs].Selector); // RPL = CPL
        Assert.Equal(0x10100ul, s.Cpu.Rip);
    }

    [Fact]
    public void CallGateFromRing3ToRing0SwitchesStacksAndCopiesParameters_RetfReturnsAndNullsDs()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Gate(SegmentsMachine.Code0, 0x12000, SystemDescriptorType.CallGate32, 3, parameters: 2));
        s.Code(32, a => a.call(0x4B, 0), 0x11000);
        s.Code(32, a => a.retf(8), 0x12000);
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3, 0x11000, esp: 0x8FF8);
        InstallTss32(s, SegmentsMachine.Data0, 0x8000);
        s.Write32(0x8FF8, 0x1111_1111); // parameter at [ESP]
        s.Write32(0x8FFC, 0x2222_2222);

        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(0, cpu.Cpl);
        Assert.Equal((ushort)0x08, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal((ushort)0x10, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(0x12000ul, cpu.Rip);
        // SS, ESP, 2 parameters, CS, EIP: 6 dwords below ESP0 = 0x8000.
        Assert.Equal(0x7FE8ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(0x11007u, s.Read32(0x7FE8));   // CALL ptr16:32 is 7 bytes
        Assert.Equal(0x1Bu, s.Read32(0x7FEC));
        Assert.Equal(0x1111_1111u, s.Read32(0x7FF0));
        Assert.Equal(0x2222_2222u, s.Read32(0x7FF4));
        Assert.Equal(0x8FF8u, s.Read32(0x7FF8));
        Assert.Equal(0x23u, s.Read32(0x7FFC));

        // Ring 0 loads a DPL 0 data segment into DS; ES keeps the DPL 3 one.
        Assert.True(cpu.LoadSegmentRegister(SegmentIndex.Ds, SegmentsMachine.Data0));
        s.Steps(1); // RETF 8
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal((ushort)0x1B, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(0x9000ul, cpu.Gpr[State.Gpr.Rsp]); // 0x8FF8 + 8 parameter bytes released
        Assert.Equal(0x11007ul, cpu.Rip);
        Assert.Equal((ushort)0, cpu.Segments[SegmentIndex.Ds].Selector);
        Assert.False(cpu.Segments[SegmentIndex.Ds].IsUsable);
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Es].Selector);
        Assert.True(cpu.Segments[SegmentIndex.Es].IsUsable);
    }

    [Fact]
    public void CallGateFaultsAreRaisedBeforeAnythingChanges()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Gate(SegmentsMachine.Code0, 0x12000, SystemDescriptorType.CallGate32, 3, parameters: 2));
        s.SetGdt(10, Desc.Gate(SegmentsMachine.Code0, 0x12000, SystemDescriptorType.CallGate32, 0));
        s.SetGdt(11, Desc.Segment(0, 0x7FF0, 0x2, 0)); // DPL 0 stack, limit 0x7FF0
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3, 0x11000, esp: 0x8FF8);
        var cs = s.Cpu.Segments[SegmentIndex.Cs];

        void Expect(ushort gate, byte vector, uint err)
        {
            s.Code(32, a => a.call(gate, 0), 0x11000);
            s.Cpu.Rip = 0x11000;
            Assert.False(s.Step());
            s.AssertFault(vector, err);
            Assert.Equal(cs, s.Cpu.Segments[SegmentIndex.Cs]);
            Assert.Equal(0x8FF8ul, s.Cpu.Gpr[State.Gpr.Rsp]);
            Assert.Equal((ushort)0x23, s.Cpu.Segments[SegmentIndex.Ss].Selector);
        }

        Expect(0x53, GP, 0x50);                 // gate DPL 0 < CPL 3
        InstallTss32(s, 0, 0x8000);
        Expect(0x4B, TS, 0);                    // SS0 null
        InstallTss32(s, 0x23, 0x8000);
        Expect(0x4B, TS, 0x20);                 // SS0 RPL/DPL 3 ≠ new CPL 0
        InstallTss32(s, 0x58, 0x8000);
        Expect(0x4B, SS, 0x58);                 // the first push (0x7FFC-0x7FFF) lies beyond the 0x7FF0 limit: #SS(new SS)
    }

    [Fact]
    public void RealModeFarCallAndReturn()
    {
        using var s = new SegmentsMachine();
        s.Code(16, a => a.call(0x2000, 0x0010), 0x10100);
        s.Code(16, a => a.retf(), 0x20010);
        s.M.StartRealMode(0x1000, 0x0100);
        s.Steps(1);
        Assert.Equal(0x20000ul, s.Cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x10ul, s.Cpu.Rip);
        Assert.Equal(0xFFFAul, s.Cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal((ushort)0x0105, s.Read16(0xFFFA)); // return IP (CALL ptr16:16 is 5 bytes)
        Assert.Equal((ushort)0x1000, s.Read16(0xFFFC)); // return CS
        s.Steps(1);
        Assert.Equal((ushort)0x1000, s.Cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(0x105ul, s.Cpu.Rip);
        Assert.Equal(0xFFFEul, s.Cpu.Gpr[State.Gpr.Rsp]);
    }

    [Fact]
    public void FarJumpToAnLCodeSegmentWithLmaEntersSixtyFourBitMode()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFFFF, 0xA, 0, db: true, g: true, l: true)); // L=1 and D=1: reserved
        s.Code(32, a => a.jmp(SegmentsMachine.Code64, 0x10100));
        s.Code(64, a => a.str(rax), 0x10100);
        s.EnterProtected();
        s.Cpu.Cr4 |= State.Cr4.PAE;
        s.Cpu.Efer |= State.Efer.LME | State.Efer.LMA;
        s.Cpu.Cr0 |= State.Cr0.PG;
        s.Cpu.UpdateMode();
        Assert.Equal(OperatingMode.Compatibility, s.Cpu.Mode);

        s.M.Memory.WriteBytes(0x10200, [0xEA, 0, 0, 0, 0, 0x48, 0]); // jmp 0x48:0 (L=1, D=1)
        s.Cpu.Rip = 0x10200;
        Assert.False(s.Step());
        s.AssertFault(GP, 0x48);

        s.Cpu.Rip = SegmentsMachine.CodeBase;
        s.Cpu.Tr.Selector = 0x38;
        s.Cpu.Gpr[0] = ulong.MaxValue;
        Assert.Equal(StopReason.BudgetExhausted, s.M.Run(2));
        Assert.Equal(OperatingMode.Long64, s.Cpu.Mode);
        Assert.Equal(CodeMode.Bits64, s.Cpu.CodeMode);
        Assert.Equal(8, s.Cpu.StackAddressSize);
        Assert.Equal(0x38ul, s.Cpu.Gpr[0]); // STR RAX zero-extends to 64 bits
    }

    [Fact]
    public void SixtyFourBitCallGateFromRing3AndFarReturnBack()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(7, Desc.Tss(0x3000, 0x67, SystemDescriptorType.Tss32Busy));
        s.SetGdt(8, 0);
        s.SetGdt(10, Desc.Code64(3));                                                             // 0x53
        s.SetGdt(11, Desc.Gate(SegmentsMachine.Code64, 0x12000, SystemDescriptorType.CallGate32, 3)); // 0x58, 16 bytes
        s.SetGdt(12, 0);
        s.Write64(0x3004, 0x8000); // RSP0
        s.EnterLong64(0x11000, 0x9000);
        s.Cpu.Tr = new SegmentRegister { Selector = 0x38, Base = 0x3000, Limit = 0x67, AccessRights = 0x8B };
        s.Force(SegmentIndex.Cs, 0x53);
        s.Force(SegmentIndex.Ss, SegmentsMachine.Data3);
        s.Cpu.UpdateMode();
        Assert.Equal(3, s.Cpu.Cpl);
        Assert.Equal(OperatingMode.Long64, s.Cpu.Mode);
        s.Write64(0x5000, 0xDEAD);     // offset (ignored for a gate)
        s.Write16(0x5008, 0x5B);       // gate selector, RPL 3
        s.Code(64, a => a.call(__tword_ptr[rbx]), 0x11000); // REX.W FF 1B: call m16:64
        s.M.Memory.WriteBytes(0x12000, [0x48, 0xCB]);        // retfq
        s.Cpu.Gpr[State.Gpr.Rbx] = 0x5000;

        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(0, cpu.Cpl);
        Assert.Equal(0x12000ul, cpu.Rip);
        Assert.Equal((ushort)0, cpu.Segments[SegmentIndex.Ss].Selector); // null SS with RPL = new CPL 0
        Assert.Equal(0x7FE0ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(0x11003ul, s.Read64(0x7FE0));  // return RIP (48 FF 1B)
        Assert.Equal(0x53ul, s.Read64(0x7FE8));
        Assert.Equal(0x9000ul, s.Read64(0x7FF0));
        Assert.Equal(0x23ul, s.Read64(0x7FF8));

        s.Steps(1);
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal(OperatingMode.Long64, cpu.Mode);
        Assert.Equal(0x11003ul, cpu.Rip);
        Assert.Equal(0x9000ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Ss].Selector);
    }
}
