using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;

namespace JitVirt.Cpu.Tests.Segments;

/// <summary>32-bit and 16-bit task switches (SDM vol.3 §8.3, Table 8-2 for busy/NT/link).</summary>
public class TaskSwitchTests
{
    const byte GP = ExceptionVector.GeneralProtection, NP = ExceptionVector.SegmentNotPresent, TS = ExceptionVector.InvalidTss;
    const ulong TssA = 0x3000, TssB = 0x3100;

    /// <summary>Task A (TSS 0x38, current, busy) runs at CPL 0; task B (TSS 0x40, available) waits at 0x12000; GDT 9 (0x48) is a task gate to B.</summary>
    static SegmentsMachine Setup(bool bIs16Bit = false)
    {
        var s = new SegmentsMachine();
        s.SetGdt(7, Desc.Tss((uint)TssA, 0x67, SystemDescriptorType.Tss32Busy));
        s.SetGdt(8, bIs16Bit ? Desc.Tss((uint)TssB, 0x2B, SystemDescriptorType.Tss16Available) : Desc.Tss((uint)TssB, 0x67, SystemDescriptorType.Tss32Available));
        s.SetGdt(9, Desc.Gate(0x40, 0, SystemDescriptorType.TaskGate, 0));
        if (bIs16Bit)
        {
            s.Write16(TssB + 0x0E, 0x2000);                        // IP
            s.Write16(TssB + 0x10, 0x0003);                        // FLAGS: CF
            for (int r = 0; r < 8; r++) s.Write16(TssB + 0x12 + (ulong)(2 * r), (ushort)(0x100 + r));
            s.Write16(TssB + 0x12 + 8, 0x7000);                    // SP
            s.Write16(TssB + 0x22, SegmentsMachine.Data0);         // ES
            s.Write16(TssB + 0x24, SegmentsMachine.Code0);         // CS
            s.Write16(TssB + 0x26, SegmentsMachine.Data0);         // SS
            s.Write16(TssB + 0x28, SegmentsMachine.Data0);         // DS
        }
        else
        {
            s.Write32(TssB + 0x20, 0x12000);                       // EIP
            s.Write32(TssB + 0x24, 0x3);                           // EFLAGS: CF
            for (int r = 0; r < 8; r++) s.Write32(TssB + 0x28 + (ulong)(4 * r), 0xB000_0000u + (uint)r);
            s.Write32(TssB + 0x38, 0x7000);                        // ESP
            ushort[] segs = [SegmentsMachine.Data0, SegmentsMachine.Code0, SegmentsMachine.Data0, SegmentsMachine.Data0, SegmentsMachine.Data0, SegmentsMachine.Data0];
            for (int k = 0; k < 6; k++) s.Write16(TssB + 0x48 + (ulong)(4 * k), segs[k]);
        }
        s.EnterProtected(esp: 0x9000);
        s.Cpu.Tr = new SegmentRegister { Selector = 0x38, Base = TssA, Limit = 0x67, AccessRights = 0x8B };
        s.Cpu.Gpr[0] = 0xA000_0000;
        s.Cpu.SetRflags(Rflags.IF | Rflags.Reserved1);
        return s;
    }

    static uint GdtType(SegmentsMachine s, int index) => (uint)(s.Gdt(index) >> 40) & 0xF;

    [Fact]
    public void JumpToTssSavesTheOldTaskAndLoadsTheNewOne()
    {
        using var s = Setup();
        s.Code(32, a => a.jmp(0x40, 0));
        s.Cpu.Dr[7] = 0x4FF;
        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(0x12000ul, cpu.Rip);
        Assert.Equal(0xB000_0000ul, cpu.Gpr[0]);
        Assert.Equal(0x7000ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal((ushort)0x40, cpu.Tr.Selector);
        Assert.Equal(0xBu, cpu.Tr.AccessRights & 0xF);
        Assert.Equal(SystemDescriptorType.Tss32Available, GdtType(s, 7));   // JMP clears the old busy bit
        Assert.Equal(SystemDescriptorType.Tss32Busy, GdtType(s, 8));
        Assert.Equal(0x10007u, s.Read32(TssA + 0x20));                      // EIP after the 7-byte JMP
        Assert.Equal(0xA000_0000u, s.Read32(TssA + 0x28));                  // EAX
        Assert.Equal(0x9000u, s.Read32(TssA + 0x38));                       // ESP
        Assert.Equal(0x08u, s.Read32(TssA + 0x4C) & 0xFFFF);               // CS
        Assert.Equal((uint)(Rflags.IF | Rflags.Reserved1), s.Read32(TssA + 0x24));
        Assert.Equal((ushort)0, s.Read16(TssB));                            // no back link for JMP
        Assert.Equal(Rflags.CF | Rflags.Reserved1, cpu.GetRflags());        // NT not set by JMP
        Assert.NotEqual(0ul, cpu.Cr0 & State.Cr0.TS);
        Assert.Equal(0x4AAul, cpu.Dr[7]);                                   // L0-L3, LE cleared
    }

    [Fact]
    public void CallThroughTaskGateNestsAndIretReturnsThroughTheBackLink()
    {
        using var s = Setup();
        s.Code(32, a => a.call(0x48, 0));
        s.M.Memory.WriteBytes(0x12000, [0xCF]); // iretd in task B
        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(0x12000ul, cpu.Rip);
        Assert.Equal((ushort)0x38, s.Read16(TssB));                          // back link
        Assert.Equal(Rflags.NT | Rflags.CF | Rflags.Reserved1, cpu.GetRflags());
        Assert.Equal(SystemDescriptorType.Tss32Busy, GdtType(s, 7));         // CALL leaves the old task busy
        Assert.Equal(SystemDescriptorType.Tss32Busy, GdtType(s, 8));

        cpu.Gpr[State.Gpr.Rbx] = 0x55;
        s.Steps(1); // IRET with NT = 1: task return
        Assert.Equal((ushort)0x38, cpu.Tr.Selector);
        Assert.Equal(0x10007ul, cpu.Rip);
        Assert.Equal(0xA000_0000ul, cpu.Gpr[0]);
        Assert.Equal(Rflags.IF | Rflags.Reserved1, cpu.GetRflags());
        Assert.Equal(SystemDescriptorType.Tss32Available, GdtType(s, 8));    // IRET clears the left task's busy bit
        Assert.Equal(SystemDescriptorType.Tss32Busy, GdtType(s, 7));
        Assert.Equal((uint)(Rflags.CF | Rflags.Reserved1), s.Read32(TssB + 0x24)); // NT cleared in B's saved EFLAGS
        Assert.Equal(0x55u, s.Read32(TssB + 0x34));                          // B's EBX saved
        Assert.Equal(0x12001u, s.Read32(TssB + 0x20));                       // B's EIP after IRET
    }

    [Fact]
    public void TaskSwitchDescriptorChecks()
    {
        using var s = Setup();
        void Expect(ushort sel, byte vector, uint err)
        {
            s.Code(32, a => a.jmp(sel, 0));
            s.Cpu.Rip = SegmentsMachine.CodeBase;
            Assert.False(s.Step());
            s.AssertFault(vector, err);
            Assert.Equal((ushort)0x38, s.Cpu.Tr.Selector);
            Assert.Equal(0xA000_0000ul, s.Cpu.Gpr[0]);
        }
        Expect(0x38, GP, 0x38);                                                    // busy TSS
        s.SetGdt(10, Desc.Tss((uint)TssB, 0x66, SystemDescriptorType.Tss32Available));
        Expect(0x50, TS, 0x50);                                                    // limit < 67H
        s.SetGdt(10, Desc.Tss((uint)TssB, 0x67, SystemDescriptorType.Tss32Available, present: false));
        Expect(0x50, NP, 0x50);
        s.SetGdt(10, Desc.Tss((uint)TssB, 0x67, SystemDescriptorType.Tss32Available, dpl: 0));
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3);
        s.Cpu.Tr = new SegmentRegister { Selector = 0x38, Base = TssA, Limit = 0x67, AccessRights = 0x8B };
        s.Cpu.Gpr[0] = 0xA000_0000;
        Expect(0x53, GP, 0x50);                                                    // TSS DPL 0 < CPL 3
        Assert.Equal(SystemDescriptorType.Tss32Available, GdtType(s, 10));
    }

    [Fact]
    public void SegmentErrorsOfTheNewTaskAreRaisedInItsContext()
    {
        using var s = Setup();
        s.Write16(TssB + 0x50, SegmentsMachine.Data3); // SS with RPL/DPL 3 for a CPL 0 task
        s.Code(32, a => a.jmp(0x40, 0));
        Assert.False(s.Step());
        s.AssertFault(TS, 0x20);
        Assert.Equal(0x12000ul, s.Cpu.Rip);          // the fault belongs to the new task
        Assert.Equal((ushort)0x40, s.Cpu.Tr.Selector);
        Assert.Equal(0xB000_0000ul, s.Cpu.Gpr[0]);
        Assert.Equal(0, s.Cpu.Cpl);
    }

    [Fact]
    public void TrapBitRaisesADebugTrapBeforeTheFirstInstruction()
    {
        using var s = Setup();
        s.Write16(TssB + 0x64, 1);
        s.Code(32, a => a.jmp(0x40, 0));
        Assert.False(s.Step());
        Assert.Equal(ExceptionVector.Debug, s.Cpu.PendingException.Vector);
        Assert.True(s.Cpu.PendingException.IsTrap);
        Assert.Equal(0x12000ul, s.Cpu.NextRip);
        Assert.NotEqual(0ul, s.Cpu.Dr[6] & (1ul << 15)); // DR6.BT
    }

    [Fact]
    public void EventDeliveryEntryNestsAndPushesTheErrorCode()
    {
        using var s = Setup();
        s.Cpu.NextRip = 0x10000; // a fault: the saved EIP is the faulting instruction's
        Assert.True(s.Cpu.TaskSwitch(0x40, TaskSwitchSource.InterruptOrException, hasErrorCode: true, errorCode: 0x1234, external: true));
        Assert.Equal(0x12000ul, s.Cpu.Rip);
        Assert.Equal(0x6FFCul, s.Cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(0x1234u, s.Read32(0x6FFC));
        Assert.Equal((ushort)0x38, s.Read16(TssB));
        Assert.Equal(0x10000u, s.Read32(TssA + 0x20));
        Assert.NotEqual(0ul, s.Cpu.GetRflags() & Rflags.NT);
    }

    [Fact]
    public void SixteenBitTssLoadsWordsWithUpperHalvesSet()
    {
        using var s = Setup(bIs16Bit: true);
        s.Code(32, a => a.jmp(0x40, 0));
        s.Steps(1);
        Assert.Equal(0x2000ul, s.Cpu.Rip);
        Assert.Equal(0xFFFF_0100ul, s.Cpu.Gpr[0]);
        Assert.Equal(0xFFFF_7000ul, s.Cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(SystemDescriptorType.Tss16Busy, s.Cpu.Tr.AccessRights & 0xF);
        Assert.Equal(Rflags.CF | Rflags.Reserved1, s.Cpu.GetRflags());
    }
}
