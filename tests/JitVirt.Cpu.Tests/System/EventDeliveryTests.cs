using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.SystemFamily;

/// <summary>
/// Exception and interrupt delivery (SDM vol.3 ch.7). Expected frames are worked by hand from
/// the SDM: a 32-bit gate at the same privilege pushes EFLAGS, CS, EIP [, error code] (§7.12.1,
/// Figure 7-4); fault-class exceptions push RF = 1 (§18.3.1.1); error codes are
/// index·8 | IDT(2) | EXT(1) (§7.13, Figure 7-7).
/// </summary>
public class EventDeliveryTests
{
    const ulong Code = SystemBench.CodeBase;
    const uint Rf = 1u << 16;

    static void AssertFrame32(SystemBench b, ulong esp, params uint[] expected)
    {
        Assert.Equal(esp, b.Cpu.Gpr[Gpr.Rsp]);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(expected[k] == b.Read32(esp + (ulong)k * 4), $"frame slot {k}: expected {expected[k]:X}, got {b.Read32(esp + (ulong)k * 4):X}");
    }

    static void AssertInHandler(SystemBench b, int vector, StopReason stop)
    {
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(SystemBench.HandlerAddress(vector) + 1, b.Cpu.Rip);
    }

    [Fact]
    public void RealModeIntNPushesFlagsCsIpAndClearsIf()
    {
        using var b = new SystemBench();
        var m = b.M;
        m.Memory.Write(0x21 * 4, 4, 0x0000_0500); // IVT[21h] = 0000:0500
        m.Memory.WriteByte(0x500, 0xF4);
        m.Load(16, 0x7C00, a => a.@int(0x21));
        m.StartRealMode(0, 0x7C00);
        m.Cpu.SetRflags(0x0202);
        Assert.Equal(StopReason.Halted, m.Run(100));
        Assert.Equal(0x501ul, m.Cpu.Rip);
        Assert.Equal(0xFFF8ul, m.Cpu.Gpr[Gpr.Rsp]);
        Assert.Equal(0x7C02ul, m.Memory.Read(0xFFF8, 2)); // IP after INT 21h (a trap)
        Assert.Equal(0ul, m.Memory.Read(0xFFFA, 2));
        Assert.Equal(0x0202ul, m.Memory.Read(0xFFFC, 2));
        Assert.False(m.Cpu.InterruptFlag);
    }

    [Fact]
    public void Int3IsATrapSavingTheNextEip()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.int3());
        var stop = b.Run();
        AssertInHandler(b, 3, stop);
        AssertFrame32(b, 0x8FF4, 0x10001, SystemBench.KernelCs, 0x2);
    }

    [Fact]
    public void IntoRaisesOverflowOnlyWhenOfIsSet()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => { a.into(); a.into(); });
        b.Run(1); // OF = 0: the first INTO does nothing
        Assert.Equal(Code + 1, b.Cpu.Rip);
        b.Cpu.SetArithmeticFlags(Rflags.OF, Rflags.OF);
        var stop = b.Run();
        AssertInHandler(b, 4, stop);
        AssertFrame32(b, 0x8FF4, 0x10002, SystemBench.KernelCs, 0x802);
    }

    [Fact]
    public void Int1IsADebugTrapWithoutRf()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.int1());
        var stop = b.Run();
        AssertInHandler(b, 1, stop);
        AssertFrame32(b, 0x8FF4, 0x10001, SystemBench.KernelCs, 0x2);
    }

    [Fact]
    public void BoundOutOfRangeIsAFaultWithRfInTheImage()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.M.Memory.Write(0x5000, 4, 10);
        b.M.Memory.Write(0x5004, 4, 20);
        b.Code(32, a => { a.bound(eax, __[0x5000]); a.bound(eax, __[0x5000]); });
        b.Cpu.Gpr[Gpr.Rax] = 20; // in range (inclusive)
        b.Run(1);
        Assert.Equal(Code + 6, b.Cpu.Rip);
        b.Cpu.Gpr[Gpr.Rax] = 21;
        var stop = b.Run();
        AssertInHandler(b, 5, stop);
        AssertFrame32(b, 0x8FF4, 0x10006, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void Dr4WithCr4DeIsInvalidOpcode()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Cr4 |= State.Cr4.DE;
        b.Code(32, a => a.mov(eax, dr4));
        var stop = b.Run();
        AssertInHandler(b, 6, stop);
        AssertFrame32(b, 0x8FF4, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void Dr7GdMakesDebugRegisterAccessADebugFault()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Dr[7] = 0x400 | (1ul << 13);
        b.Code(32, a => a.mov(eax, dr0));
        var stop = b.Run();
        AssertInHandler(b, 1, stop);
        AssertFrame32(b, 0x8FF4, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
        Assert.NotEqual(0ul, b.Cpu.Dr[6] & (1ul << 13)); // DR6.BD
        Assert.Equal(0ul, b.Cpu.Dr[7] & (1ul << 13));    // GD cleared for the handler
    }

    [Fact]
    public void SingleStepTrapFollowsTheInstruction()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.cpuid());
        b.Cpu.SetRflags(0x2 | Rflags.TF);
        var stop = b.Run();
        AssertInHandler(b, 1, stop);
        AssertFrame32(b, 0x8FF4, 0x10002, SystemBench.KernelCs, 0x2 | (uint)Rflags.TF);
        Assert.Equal(0ul, b.Cpu.GetRflags() & Rflags.TF);
    }

    [Fact]
    public void UnknownMsrIsGeneralProtectionWithErrorCodeZero()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.rdmsr());
        b.Cpu.Gpr[Gpr.Rcx] = 0xDEAD;
        var stop = b.Run();
        AssertInHandler(b, 13, stop);
        AssertFrame32(b, 0x8FF0, 0, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void StackLimitViolationIsStackFault()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Segments[SegmentIndex.Ss].Limit = 0xFFFF;
        b.Cpu.Gpr[Gpr.Rbp] = 0xFFFC; // LGDT reads 6 bytes at SS:FFFC → beyond the limit
        b.Code(32, a => a.lgdt(__[ebp]));
        var stop = b.Run();
        AssertInHandler(b, 12, stop);
        AssertFrame32(b, 0x8FF0, 0, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    sealed class HoleTranslator : IAddressTranslator
    {
        public ulong Hole = 0x6000;
        public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint errorCode)
        {
            physical = linear;
            errorCode = (kind == AccessKind.Write ? 2u : 0) | (user ? 4u : 0) | (kind == AccessKind.Execute ? 16u : 0);
            return (linear & ~0xFFFul) != Hole;
        }
        public void Invalidate(Cpu cpu, ulong? page) { }
    }

    [Fact]
    public void PageFaultSetsCr2AndPushesTheErrorCode()
    {
        using var b = new SystemBench(new HoleTranslator());
        b.EnterProtected32();
        b.Cpu.Cr0 |= State.Cr0.PG;
        b.Code(32, a => a.lgdt(__[0x6010]));
        var stop = b.Run();
        AssertInHandler(b, 14, stop);
        Assert.Equal(0x6010ul, b.Cpu.Cr2);
        AssertFrame32(b, 0x8FF0, 0 /* not present, read, supervisor */, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void IntNThroughANotPresentGateIsNpWithIdtBitAndNoExt()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(0x40, Descriptors.Gate(SystemBench.KernelCs, 0x20400, 14, 3, present: false));
        b.Code(32, a => a.@int(0x40));
        var stop = b.Run();
        AssertInHandler(b, 11, stop);
        // #NP(40h·8 + 2): the fault is on the INT instruction itself.
        AssertFrame32(b, 0x8FF0, 0x202, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void IntNAboveGateDplIsGeneralProtectionWithTheVector()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(0x41, Descriptors.Gate(SystemBench.KernelCs, (uint)SystemBench.HandlerAddress(0x41), 14, 0));
        b.DropToRing3();
        b.Code(32, a => a.@int(0x41));
        var stop = b.Run();
        AssertInHandler(b, 13, stop);
        // Ring 3 → ring 0: SS, ESP, EFLAGS, CS, EIP, error = 41h·8 + 2 on the TSS stack.
        AssertFrame32(b, 0x8FE8, 0x20A, 0x10000, SystemBench.UserCs, 0x2 | Rf, SystemBench.Ring3StackTop, SystemBench.UserDs);
    }

    [Fact]
    public void ExternalInterruptThroughANotPresentGateSetsExt()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(0x41, Descriptors.Gate(SystemBench.KernelCs, 0x20410, 14, 0, present: false));
        b.Cpu.Rip = 0x10000;
        b.Cpu.DeliverExternalInterrupt(0x41);
        Assert.Equal(SystemBench.HandlerAddress(11), b.Cpu.Rip);
        AssertFrame32(b, 0x8FF0, 0x20B, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void Ring3ToRing0SwitchesToTheTssStack()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.DropToRing3();
        b.Cpu.SetRflags(0x202);
        b.Code(32, a => a.@int(0x80));
        var stop = b.Run();
        AssertInHandler(b, 0x80, stop);
        Assert.Equal(0, b.Cpu.Cpl);
        Assert.Equal(SystemBench.KernelCs, b.Cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(SystemBench.KernelDs, b.Cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.False(b.Cpu.InterruptFlag); // interrupt gate
        AssertFrame32(b, 0x8FEC, 0x10002, SystemBench.UserCs, 0x202, SystemBench.Ring3StackTop, SystemBench.UserDs);
    }

    [Fact]
    public void TrapGateLeavesIfSet()
    {
        using var b = new SystemBench();
        b.EnterProtected32(gateType: 15);
        b.Cpu.SetRflags(0x202);
        b.Code(32, a => a.@int(0x30));
        AssertInHandler(b, 0x30, b.Run());
        Assert.True(b.Cpu.InterruptFlag);
    }

    [Fact]
    public void BadTssStackSegmentIsInvalidTss()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.M.Memory.Write(SystemBench.TssBase + 8, 2, SystemBench.KernelCs); // SS0 names a code segment
        // #TS goes through a conforming ring-0 segment, so it is handled at CPL 3 on the user stack.
        b.SetGdt(0x38, Descriptors.Segment(0, 0xFFFFF, 0x9E, 0xC));
        b.SetIdt32(10, Descriptors.Gate(0x38, (uint)SystemBench.HandlerAddress(10), 14, 0));
        b.M.Load(32, SystemBench.HandlerAddress(10), a => a.cpuid());
        b.DropToRing3();
        b.Code(32, a => a.@int(0x80));
        Assert.Equal(StopReason.BudgetExhausted, b.Run(1));
        Assert.Equal(SystemBench.HandlerAddress(10) + 2, b.Cpu.Rip);
        Assert.Equal((ushort)0x3B, b.Cpu.Segments[SegmentIndex.Cs].Selector);
        // #TS(08h): software INT, so EXT = 0; frame on the ring-3 stack.
        AssertFrame32(b, 0x7FF0, SystemBench.KernelCs, 0x10000, SystemBench.UserCs, 0x2 | Rf);
    }

    [Fact]
    public void V86InterruptPushesDataSegmentsAndNullsThem()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        var cpu = b.Cpu;
        void V86Seg(int s, ushort sel) => cpu.Segments[s] = new SegmentRegister { Selector = sel, Base = (ulong)sel << 4, Limit = 0xFFFF, AccessRights = 0xF3 };
        V86Seg(SegmentIndex.Cs, 0x1000); V86Seg(SegmentIndex.Ss, 0x2000); V86Seg(SegmentIndex.Ds, 0x3000);
        V86Seg(SegmentIndex.Es, 0x4000); V86Seg(SegmentIndex.Fs, 0x5000); V86Seg(SegmentIndex.Gs, 0x6000);
        cpu.Gpr[Gpr.Rsp] = 0x100;
        cpu.SetRflags(0x2_3202); // VM, IOPL 3, IF
        Assert.Equal(OperatingMode.Virtual8086, cpu.Mode);
        b.Code(16, a => a.@int(0x80));
        Assert.Equal(0ul, cpu.Rip);
        var stop = b.Run();
        AssertInHandler(b, 0x80, stop);
        Assert.Equal(OperatingMode.Protected, cpu.Mode);
        AssertFrame32(b, 0x8FDC, 2, 0x1000, 0x2_3202, 0x100, 0x2000, 0x4000, 0x3000, 0x5000, 0x6000);
        foreach (int s in new[] { SegmentIndex.Ds, SegmentIndex.Es, SegmentIndex.Fs, SegmentIndex.Gs })
        {
            Assert.Equal((ushort)0, cpu.Segments[s].Selector);
            Assert.False(cpu.Segments[s].IsUsable);
        }
        Assert.Equal(0ul, cpu.GetRflags() & Rflags.VM);
    }

    [Fact]
    public void V86IntNWithIoplBelow3IsGeneralProtection()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        var cpu = b.Cpu;
        for (int s = 0; s < SegmentIndex.Count; s++)
            cpu.Segments[s] = new SegmentRegister { Selector = 0x1000, Base = 0x10000, Limit = 0xFFFF, AccessRights = 0xF3 };
        cpu.Gpr[Gpr.Rsp] = 0x100;
        cpu.SetRflags(0x2_0202); // VM, IOPL 0
        b.Code(16, a => a.@int(0x80));
        var stop = b.Run();
        AssertInHandler(b, 13, stop);
        AssertFrame32(b, 0x8FD8, 0, 0, 0x1000, 0x2_0202 | Rf, 0x100, 0x1000);
    }

    [Fact]
    public void GpWhoseGateIsNotPresentBecomesDoubleFault()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(13, Descriptors.Gate(SystemBench.KernelCs, (uint)SystemBench.HandlerAddress(13), 14, 0, present: false));
        b.Code(32, a => a.rdmsr());
        b.Cpu.Gpr[Gpr.Rcx] = 0xDEAD;
        var stop = b.Run();
        AssertInHandler(b, 8, stop);
        AssertFrame32(b, 0x8FF0, 0, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void BenignExceptionWithNotPresentGateIsHandledSerially()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(3, Descriptors.Gate(SystemBench.KernelCs, (uint)SystemBench.HandlerAddress(3), 14, 3, present: false));
        b.Code(32, a => a.int3());
        var stop = b.Run();
        AssertInHandler(b, 11, stop); // #NP(3·8 + 2), no #DF: #BP is benign
        AssertFrame32(b, 0x8FF0, 0x1A, 0x10000, SystemBench.KernelCs, 0x2 | Rf);
    }

    [Fact]
    public void FaultWhileDeliveringDoubleFaultShutsDown()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.SetIdt32(13, 0);
        b.SetIdt32(8, 0);
        b.Code(32, a => a.rdmsr());
        b.Cpu.Gpr[Gpr.Rcx] = 0xDEAD;
        Assert.Equal(StopReason.Shutdown, b.Run());
    }

    sealed class NmiSource : IInterruptSource
    {
        public int Acknowledged;
        public bool HasPendingInterrupt => false;
        public byte AcknowledgeInterrupt() => 0;
        public bool HasPendingNmi => true;
        public void AcknowledgeNmi() => Acknowledged++;
    }

    [Fact]
    public void NmiIsDeliveredOnceThenBlockedUntilIret()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        var src = new NmiSource();
        b.Cpu.Interrupts = src;
        b.Code(32, a => a.cpuid());
        var stop = b.Run();
        AssertInHandler(b, 2, stop);
        Assert.Equal(1, src.Acknowledged);
        Assert.True(b.Cpu.NmiBlocked);
        AssertFrame32(b, 0x8FF4, 0x10000, SystemBench.KernelCs, 0x2); // external: no RF
    }

    /// <summary>Every vector 0–19 delivered as a processor exception: error code exactly when the vector defines one (SDM vol.3 Table 7-1).</summary>
    [Theory]
    [InlineData(0, false, true)] [InlineData(1, false, false)] [InlineData(2, false, true)] [InlineData(3, false, false)]
    [InlineData(4, false, false)] [InlineData(5, false, true)] [InlineData(6, false, true)] [InlineData(7, false, true)]
    [InlineData(8, true, true)] [InlineData(9, false, true)] [InlineData(10, true, true)] [InlineData(11, true, true)]
    [InlineData(12, true, true)] [InlineData(13, true, true)] [InlineData(14, true, true)] [InlineData(16, false, true)]
    [InlineData(17, true, true)] [InlineData(18, false, true)] [InlineData(19, false, true)]
    public void EveryVectorIsDeliveredThroughThe32BitIdt(int vector, bool errorCode, bool fault)
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Rip = 0x10000;
        b.Cpu.NextRip = 0x10003;
        if (errorCode) b.Cpu.RaiseFault((byte)vector, 0x1234); else b.Cpu.RaiseFault((byte)vector);
        if (!fault) b.Cpu.PendingException.IsTrap = true;
        b.Cpu.DeliverPendingException();
        Assert.Equal(SystemBench.HandlerAddress(vector), b.Cpu.Rip);
        uint eip = fault ? 0x10000u : 0x10003u, flags = fault ? 0x2 | Rf : 0x2;
        if (errorCode) AssertFrame32(b, 0x8FF0, 0x1234, eip, SystemBench.KernelCs, flags);
        else AssertFrame32(b, 0x8FF4, eip, SystemBench.KernelCs, flags);
    }

    // ------------------------------------------------------------------ IA-32e

    static void AssertFrame64(SystemBench b, ulong rsp, params ulong[] expected)
    {
        Assert.Equal(rsp, b.Cpu.Gpr[Gpr.Rsp]);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(expected[k] == b.Read64(rsp + (ulong)k * 8), $"frame slot {k}: expected {expected[k]:X}, got {b.Read64(rsp + (ulong)k * 8):X}");
    }

    [Fact]
    public void LongModeIntThroughIstGateUsesTheIstStack()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.SetIdt64(0x80, Descriptors.Gate64(SystemBench.KernelCs64, SystemBench.HandlerAddress(0x80), 14, 3, ist: 2));
        b.Cpu.Gpr[Gpr.Rsp] = 0x9008;
        b.Cpu.SetRflags(0x202);
        b.Code(64, a => a.@int(0x80));
        var stop = b.Run();
        AssertInHandler(b, 0x80, stop);
        // IST2 = A200h; SS:RSP always pushed, 8 bytes each.
        AssertFrame64(b, 0xA1D8, 0x10002, SystemBench.KernelCs64, 0x202, 0x9008, SystemBench.KernelDs);
        Assert.False(b.Cpu.InterruptFlag);
    }

    [Fact]
    public void LongModeFaultAlignsTheStackTo16Bytes()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.Cpu.Gpr[Gpr.Rsp] = 0x9008;
        b.Cpu.Gpr[Gpr.Rcx] = 0xDEAD;
        b.Code(64, a => a.rdmsr());
        var stop = b.Run();
        AssertInHandler(b, 13, stop);
        AssertFrame64(b, 0x8FD0, 0, 0x10000, SystemBench.KernelCs64, 0x2 | Rf, 0x9008, SystemBench.KernelDs);
    }

    [Fact]
    public void LongModeRing3ToRing0LoadsNullSsWithNewRpl()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.SetGdt(0x40, Descriptors.Code64(3));
        b.LoadSegment(SegmentIndex.Cs, 0x43);
        b.LoadSegment(SegmentIndex.Ss, SystemBench.UserDs);
        b.Cpu.UpdateMode();
        Assert.Equal(3, b.Cpu.Cpl);
        b.Cpu.Gpr[Gpr.Rsp] = 0x7777;
        b.Code(64, a => a.@int(0x80));
        var stop = b.Run();
        AssertInHandler(b, 0x80, stop);
        AssertFrame64(b, 0x9000 - 40, 0x10002, 0x43, 0x2, 0x7777, SystemBench.UserDs);
        Assert.Equal((ushort)0, b.Cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(0, b.Cpu.Cpl);
    }

    [Fact]
    public void LongModeGateToNonCanonicalTargetIsGpWithExt()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.SetIdt64(0x41, Descriptors.Gate64(SystemBench.KernelCs64, 0x0000_8000_0000_0000, 14, 0));
        b.Cpu.Rip = 0x10000;
        b.Cpu.DeliverExternalInterrupt(0x41);
        Assert.Equal(SystemBench.HandlerAddress(13), b.Cpu.Rip);
        AssertFrame64(b, 0x9000 - 48, 1 /* EXT */, 0x10000, SystemBench.KernelCs64, 0x2 | Rf, 0x9000, SystemBench.KernelDs);
    }
}
