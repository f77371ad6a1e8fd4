using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.SystemFamily;

/// <summary>System instructions, MSRs and CPUID (SDM vol.2 instruction pages; vol.3 §2.5, §5.8.7–5.8.8; vol.4 Table 2-2).</summary>
public class SystemInstructionTests
{
    const ulong Code = SystemBench.CodeBase;
    const uint Rf = 1u << 16;

    static void AssertGp0(SystemBench b, StopReason stop)
    {
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(SystemBench.HandlerAddress(13) + 1, b.Cpu.Rip);
        ulong sp = b.Cpu.Gpr[Gpr.Rsp];
        Assert.Equal(0ul, b.Cpu.Is64BitMode ? b.Read64(sp) : b.Read32(sp));
    }

    // ------------------------------------------------------------------ control registers

    [Fact]
    public void Cr0UpperBitIsGpAndLeavesCr0Unchanged()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        ulong before = b.Cpu.Cr0;
        b.Cpu.Gpr[Gpr.Rax] = before | (1ul << 32);
        b.Code(64, a => a.mov(cr0, rax));
        AssertGp0(b, b.Run());
        Assert.Equal(before, b.Cpu.Cr0);
    }

    [Fact]
    public void Cr0PagingWithoutProtectionIsGp()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Gpr[Gpr.Rax] = 0x8000_0010; // PG | ET, PE clear
        b.Code(32, a => a.mov(cr0, eax));
        AssertGp0(b, b.Run());
        Assert.True(b.Cpu.IsProtectedMode);
        Assert.False(b.Cpu.IsPagingEnabled);
    }

    [Fact]
    public void Cr0PagingWithLmeButNoPaeIsGp()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Efer = State.Efer.LME;
        b.Cpu.Gpr[Gpr.Rax] = b.Cpu.Cr0 | State.Cr0.PG;
        b.Code(32, a => a.mov(cr0, eax));
        AssertGp0(b, b.Run());
        Assert.Equal(0ul, b.Cpu.Efer & State.Efer.LMA);
    }

    [Fact]
    public void Cr0PagingWithLmeAndPaeActivatesLongMode()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Cr4 = State.Cr4.PAE;
        b.Cpu.Efer = State.Efer.LME;
        b.Cpu.Gpr[Gpr.Rax] = b.Cpu.Cr0 | State.Cr0.PG;
        b.Code(32, a => { a.mov(cr0, eax); a.mov(ebx, cr0); });
        b.Run(2);
        Assert.NotEqual(0ul, b.Cpu.Efer & State.Efer.LMA);
        Assert.Equal(OperatingMode.Compatibility, b.Cpu.Mode); // CS is still a 32-bit segment
        Assert.Equal(b.Cpu.Cr0 & 0xFFFF_FFFF, b.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(Code + 6, b.Cpu.Rip);
    }

    [Fact]
    public void Cr4ReservedOrUnadvertisedBitIsGp()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Gpr[Gpr.Rax] = State.Cr4.VME; // VME is not advertised by CPUID
        b.Code(32, a => a.mov(cr4, eax));
        AssertGp0(b, b.Run());
        Assert.Equal(0ul, b.Cpu.Cr4);
    }

    [Fact]
    public void Cr4ClearingPaeInLongModeIsGp()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.Cpu.Gpr[Gpr.Rax] = 0;
        b.Code(64, a => a.mov(cr4, rax));
        AssertGp0(b, b.Run());
        Assert.Equal(State.Cr4.PAE, b.Cpu.Cr4);
    }

    [Fact]
    public void Cr3WriteFlushesTheTlb()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.ReadLinear<uint>(0x5000, false);
        Assert.True(b.Cpu.Tlb.Holds(AccessKind.Read, false, 0x5000));
        b.Cpu.Gpr[Gpr.Rax] = 0x0012_3000;
        b.Code(32, a => a.mov(cr3, eax));
        b.Run(1);
        Assert.Equal(0x12_3000ul, b.Cpu.Cr3);
        Assert.False(b.Cpu.Tlb.Holds(AccessKind.Read, false, 0x5000));
    }

    [Fact]
    public void InvlpgFlushesOnlyItsPage()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.ReadLinear<uint>(0x5000, false);
        b.Cpu.ReadLinear<uint>(0x6000, false);
        b.Code(32, a => a.invlpg(__[0x5010]));
        b.Run(1);
        Assert.False(b.Cpu.Tlb.Holds(AccessKind.Read, false, 0x5000));
        Assert.True(b.Cpu.Tlb.Holds(AccessKind.Read, false, 0x6000));
    }

    [Fact]
    public void MovCrAtRing3IsGp()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.DropToRing3();
        b.Code(32, a => a.mov(eax, cr0));
        var stop = b.Run();
        Assert.Equal(SystemBench.HandlerAddress(13) + 1, b.Cpu.Rip);
        Assert.Equal(StopReason.Halted, stop);
    }

    [Fact]
    public void LmswCannotClearPeAndSmswReadsCr0()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Gpr[Gpr.Rax] = 0xFFF8; // PE 0, MP 0, EM 0, TS 1
        b.Code(32, a => { a.lmsw(ax); a.smsw(ebx); a.clts(); a.smsw(ecx); });
        b.Run(4);
        Assert.Equal(0x6000_0019ul, b.Cpu.Gpr[Gpr.Rbx]); // CD NW ET TS PE
        Assert.Equal(0x6000_0011ul, b.Cpu.Gpr[Gpr.Rcx]); // CLTS cleared TS
    }

    [Fact]
    public void DebugRegistersRoundTripWithFixedBits()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Gpr[Gpr.Rax] = 0x0000_0001; // L0
        b.Code(32, a => { a.mov(dr7, eax); a.mov(ebx, dr5); a.mov(ecx, dr4); });
        b.Run(3);
        Assert.Equal(0x401ul, b.Cpu.Gpr[Gpr.Rbx]);      // DR5 aliases DR7 without CR4.DE
        Assert.Equal(0xFFFF_0FF0ul, b.Cpu.Gpr[Gpr.Rcx]); // DR4 aliases DR6
    }

    [Fact]
    public void LgdtSgdtLidtSidtRoundTrip()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.M.Memory.Write(0x5000, 2, 0x1234);
        b.M.Memory.Write(0x5002, 4, 0x89AB_CDEF);
        b.Code(32, a => { a.sgdt(__[0x5100]); a.lgdt(__[0x5000]); a.sgdt(__[0x5200]); a.lidt(__[0x5000]); a.sidt(__[0x5300]); });
        b.Run(5);
        Assert.Equal(0x7Ful, b.M.Memory.Read(0x5100, 2));
        Assert.Equal(SystemBench.GdtBase, b.M.Memory.Read(0x5102, 4));
        Assert.Equal(0x1234ul, b.M.Memory.Read(0x5200, 2));
        Assert.Equal(0x89AB_CDEFul, b.M.Memory.Read(0x5202, 4));
        Assert.Equal(0x89AB_CDEFul, b.Cpu.Idtr.Base);
        Assert.Equal(0x1234ul, b.M.Memory.Read(0x5300, 2));
    }

    [Fact]
    public void LgdtWith16BitOperandSizeKeeps24BitsOfBase()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.M.Memory.Write(0x5000, 2, 0x00FF);
        b.M.Memory.Write(0x5002, 4, 0x89AB_CDEF);
        b.M.Memory.WriteBytes(Code, new byte[] { 0x66, 0x0F, 0x01, 0x15, 0x00, 0x50, 0x00, 0x00 }); // o16 lgdt [5000h]
        b.Cpu.Rip = Code;
        b.Run(1);
        Assert.Equal(0xAB_CDEFul, b.Cpu.Gdtr.Base);
        Assert.Equal(0xFFu, b.Cpu.Gdtr.Limit);
    }

    // ------------------------------------------------------------------ MSRs, TSC, CPUID

    [Fact]
    public void WrmsrRdmsrRoundTrip()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => { a.wrmsr(); a.rdmsr(); });
        b.Cpu.Gpr[Gpr.Rcx] = ModelSpecificRegisters.StarMsr;
        b.Cpu.Gpr[Gpr.Rdx] = 0x0023_0010;
        b.Cpu.Gpr[Gpr.Rax] = 0x1234_5678;
        b.Run(1);
        Assert.Equal(0x0023_0010_1234_5678ul, b.Cpu.Msrs.Star);
        b.Cpu.Gpr[Gpr.Rdx] = b.Cpu.Gpr[Gpr.Rax] = 0;
        b.Run(1);
        Assert.Equal(0x0023_0010ul, b.Cpu.Gpr[Gpr.Rdx]);
        Assert.Equal(0x1234_5678ul, b.Cpu.Gpr[Gpr.Rax]);
    }

    [Theory]
    [InlineData(ModelSpecificRegisters.EferMsr, 0x4ul)]                       // EFER bit 2 reserved
    [InlineData(ModelSpecificRegisters.PatMsr, 0x0007_0406_0007_0402ul)]      // PAT type 2 reserved
    [InlineData(ModelSpecificRegisters.LstarMsr, 0x0000_8000_0000_0000ul)]    // non-canonical
    [InlineData(ModelSpecificRegisters.MtrrCap, 0ul)]                         // read-only
    [InlineData(0x0000_0DEAu, 0ul)]                                           // unknown
    public void WrmsrRefusesReservedValuesWithGp(uint msr, ulong value)
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.wrmsr());
        b.Cpu.Gpr[Gpr.Rcx] = msr;
        b.Cpu.Gpr[Gpr.Rdx] = value >> 32;
        b.Cpu.Gpr[Gpr.Rax] = (uint)value;
        AssertGp0(b, b.Run());
    }

    [Fact]
    public void MsrResetValues()
    {
        using var b = new SystemBench();
        var m = b.Cpu.Msrs;
        Assert.True(m.TryRead(ModelSpecificRegisters.ApicBaseMsr, out ulong apic));
        Assert.Equal(0xFEE0_0900ul, apic);
        Assert.True(m.TryRead(ModelSpecificRegisters.PatMsr, out ulong pat));
        Assert.Equal(0x0007_0406_0007_0406ul, pat);
        Assert.True(m.TryRead(ModelSpecificRegisters.EferMsr, out ulong efer));
        Assert.Equal(0ul, efer);
        Assert.All(m.Definitions, d => Assert.False(string.IsNullOrEmpty(d.Manual)));
    }

    [Fact]
    public void EferLmeCannotChangeWithPagingOnAndLmaIsReadOnly()
    {
        using var b = new SystemBench();
        var cpu = b.Cpu;
        Assert.True(cpu.Msrs.TryWrite(ModelSpecificRegisters.EferMsr, State.Efer.LMA | State.Efer.SCE));
        Assert.Equal(State.Efer.SCE, cpu.Efer); // LMA write ignored
        cpu.Cr0 |= State.Cr0.PE | State.Cr0.PG;
        Assert.False(cpu.Msrs.TryWrite(ModelSpecificRegisters.EferMsr, State.Efer.LME | State.Efer.SCE));
    }

    [Fact]
    public void RdtscFollowsTheTscMsrAndCr4Tsd()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Msrs.Tsc = 0x1_0000_0000;
        b.Code(32, a => { a.rdtsc(); a.rdtsc(); });
        b.Run(1);
        ulong t = (b.Cpu.Gpr[Gpr.Rdx] << 32) | b.Cpu.Gpr[Gpr.Rax];
        Assert.InRange(t, 0x1_0000_0000ul, 0x1_0000_0010ul);
        b.Cpu.Cr4 |= State.Cr4.TSD;
        b.DropToRing3();
        AssertGp0(b, b.Run());
    }

    [Fact]
    public void RdtscpReturnsTscAux()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Cpu.Msrs.TscAux = 0x42;
        b.Code(32, a => a.rdtscp());
        b.Run(1);
        Assert.Equal(0x42ul, b.Cpu.Gpr[Gpr.Rcx]);
    }

    [Fact]
    public void CpuidReportsVendorSignatureAndExactlyTheImplementedFeatures()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => { a.cpuid(); a.cpuid(); a.cpuid(); a.cpuid(); });
        var g = b.Cpu.Gpr;
        g[Gpr.Rax] = 0;
        b.Run(1);
        Assert.Equal(1ul, g[Gpr.Rax]);
        var vendor = new byte[12];
        BitConverter.TryWriteBytes(vendor.AsSpan(0), (uint)g[Gpr.Rbx]);
        BitConverter.TryWriteBytes(vendor.AsSpan(4), (uint)g[Gpr.Rdx]);
        BitConverter.TryWriteBytes(vendor.AsSpan(8), (uint)g[Gpr.Rcx]);
        Assert.Equal("GenuineIntel", global::System.Text.Encoding.ASCII.GetString(vendor));

        g[Gpr.Rax] = 1;
        b.Run(1);
        Assert.Equal(0x6F6ul, g[Gpr.Rax]);
        uint edx = (uint)g[Gpr.Rdx], ecx = (uint)g[Gpr.Rcx];
        // FPU(0) PSE(3) TSC(4) MSR(5) PAE(6) CX8(8) APIC(9) SEP(11) MTRR(12) PGE(13) CMOV(15) PAT(16)
        // CLFSH(19) MMX(23) FXSR(24) SSE(25) SSE2(26) set: each is implemented.
        foreach (int bit in new[] { 0, 3, 4, 5, 6, 8, 9, 11, 12, 13, 15, 16, 19, 23, 24, 25, 26 }) Assert.True((edx >> bit & 1) == 1, $"EDX bit {bit}");
        // VME(1) PSE36(17) clear: not implemented.
        foreach (int bit in new[] { 1, 17 }) Assert.True((edx >> bit & 1) == 0, $"EDX bit {bit}");
        Assert.Equal(8u, ((uint)g[Gpr.Rbx] >> 8) & 0xFF); // CLFLUSH line size in 8-byte units (SDM CPUID leaf 1 EBX[15:8])
        Assert.Equal(1u << 13, ecx); // CX16 only: no SSE3 or later

        g[Gpr.Rax] = 0x8000_0001;
        b.Run(1);
        Assert.Equal((1u << 20) | (1u << 27) | (1u << 29), (uint)g[Gpr.Rdx]); // NX, RDTSCP, LM (SYSCALL only in 64-bit mode on Intel)
        Assert.Equal(1ul, g[Gpr.Rcx]); // LAHF/SAHF in 64-bit mode

        g[Gpr.Rax] = 0x8000_0008;
        b.Run(1);
        Assert.Equal(0x3024ul, g[Gpr.Rax]); // 48-bit linear, 36-bit physical
    }

    [Fact]
    public void CpuidVirtualizationHooksSetTheirBits()
    {
        var model = new CpuidModel { Vmx = true, Svm = true, SvmLeaf = new CpuidResult(1, 64, 0, 0) };
        Assert.Equal(1u << 5, model.Query(1, 0, false).Ecx & (1u << 5));
        Assert.Equal(1u << 2, model.Query(0x8000_0001, 0, true).Ecx & (1u << 2));
        Assert.Equal(64u, model.Query(0x8000_000A, 0, true).Ebx);
    }

    // ------------------------------------------------------------------ fast system calls, SWAPGS

    static void EnterUser64(SystemBench b)
    {
        b.EnterLong64();
        b.Cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x33, Limit = 0xFFFF_FFFF, AccessRights = 0xA0FB };
        b.Cpu.Segments[SegmentIndex.Ss] = new SegmentRegister { Selector = 0x2B, Limit = 0xFFFF_FFFF, AccessRights = 0xC0F3 };
        b.Cpu.UpdateMode();
        Assert.Equal(3, b.Cpu.Cpl);
    }

    [Fact]
    public void SyscallSysretRoundTripUsesStarSelectors()
    {
        using var b = new SystemBench();
        EnterUser64(b);
        var cpu = b.Cpu;
        cpu.Efer |= State.Efer.SCE;
        cpu.Msrs.Star = (0x0023ul << 48) | (0x0010ul << 32);
        cpu.Msrs.Lstar = 0x30000;
        cpu.Msrs.Sfmask = Rflags.IF;
        cpu.SetRflags(0x202);
        b.M.Load(64, 0x30000, a => a.sysretq());
        b.Code(64, a => { a.syscall(); a.cpuid(); });

        b.Run(1);
        Assert.Equal(0x30000ul, cpu.Rip);
        Assert.Equal((ushort)0x10, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal((ushort)0x18, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(0, cpu.Cpl);
        Assert.Equal(OperatingMode.Long64, cpu.Mode);
        Assert.Equal(Code + 2, cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(0x202ul, cpu.Gpr[Gpr.R11]);
        Assert.False(cpu.InterruptFlag); // masked by IA32_FMASK

        b.Run(1);
        Assert.Equal(Code + 2, cpu.Rip);
        Assert.Equal((ushort)0x33, cpu.Segments[SegmentIndex.Cs].Selector); // STAR[63:48] + 16, RPL 3
        Assert.Equal((ushort)0x2B, cpu.Segments[SegmentIndex.Ss].Selector); // STAR[63:48] + 8, RPL 3
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal(0x202ul, cpu.GetRflags());
    }

    [Fact]
    public void Sysret32ReturnsToCompatibilityModeWithStarBaseSelector()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        var cpu = b.Cpu;
        cpu.Efer |= State.Efer.SCE;
        cpu.Msrs.Star = 0x0023ul << 48;
        cpu.Gpr[Gpr.Rcx] = 0xFFFF_FFFF_0001_2345; // upper half dropped
        cpu.Gpr[Gpr.R11] = 0x2;
        b.Code(64, a => a.sysret());
        b.Run(1);
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(OperatingMode.Compatibility, cpu.Mode);
        Assert.Equal(0x12345ul, cpu.Rip);
    }

    [Fact]
    public void SysretToNonCanonicalRcxIsGpAtRing0()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.Cpu.Efer |= State.Efer.SCE;
        b.Cpu.Gpr[Gpr.Rcx] = 0x0000_8000_0000_0000;
        b.Code(64, a => a.sysretq());
        AssertGp0(b, b.Run());
        Assert.Equal(0, b.Cpu.Cpl);
    }

    [Fact]
    public void SyscallWithoutSceIsInvalidOpcode()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.Code(64, a => a.syscall());
        var stop = b.Run();
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(SystemBench.HandlerAddress(6) + 1, b.Cpu.Rip);
    }

    [Fact]
    public void SysenterSysexitRoundTripUsesSysenterCsSelectors()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        var cpu = b.Cpu;
        cpu.Msrs.SysenterCs = SystemBench.KernelCs;
        cpu.Msrs.SysenterEsp = 0x9000;
        cpu.Msrs.SysenterEip = 0x30000;
        b.M.Load(32, 0x30000, a => a.sysexit());
        b.DropToRing3();
        cpu.SetRflags(0x202);
        b.Code(32, a => { a.sysenter(); a.cpuid(); });

        b.Run(1);
        Assert.Equal(0x30000ul, cpu.Rip);
        Assert.Equal(0x9000ul, cpu.Gpr[Gpr.Rsp]);
        Assert.Equal(SystemBench.KernelCs, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(SystemBench.KernelDs, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(0, cpu.Cpl);
        Assert.False(cpu.InterruptFlag);

        cpu.Gpr[Gpr.Rcx] = 0x7000;
        cpu.Gpr[Gpr.Rdx] = Code + 2;
        b.Run(1);
        Assert.Equal(Code + 2, cpu.Rip);
        Assert.Equal(0x7000ul, cpu.Gpr[Gpr.Rsp]);
        Assert.Equal((ushort)0x1B, cpu.Segments[SegmentIndex.Cs].Selector); // SYSENTER_CS + 16, RPL 3
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Ss].Selector); // SYSENTER_CS + 24, RPL 3
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal(OperatingMode.Protected, cpu.Mode);
    }

    [Fact]
    public void Sysexit64UsesSysenterCsPlus32And40()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        var cpu = b.Cpu;
        cpu.Msrs.SysenterCs = 0x10;
        cpu.Gpr[Gpr.Rcx] = 0x7000;
        cpu.Gpr[Gpr.Rdx] = 0x1_2345_6789;
        b.Code(64, a => a.sysexitq());
        b.Run(1);
        Assert.Equal((ushort)0x33, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal((ushort)0x3B, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.Equal(OperatingMode.Long64, cpu.Mode);
        Assert.Equal(0x1_2345_6789ul, cpu.Rip);
    }

    [Fact]
    public void SysenterWithNullSysenterCsIsGp()
    {
        using var b = new SystemBench();
        b.EnterProtected32();
        b.Code(32, a => a.sysenter());
        AssertGp0(b, b.Run());
    }

    [Fact]
    public void SwapgsExchangesGsBaseWithKernelGsBase()
    {
        using var b = new SystemBench();
        b.EnterLong64();
        b.Cpu.Segments[SegmentIndex.Gs].Base = 0x1111;
        b.Cpu.Msrs.KernelGsBase = 0xFFFF_8000_0000_2222;
        b.Code(64, a => a.swapgs());
        b.Run(1);
        Assert.Equal(0xFFFF_8000_0000_2222ul, b.Cpu.Segments[SegmentIndex.Gs].Base);
        Assert.Equal(0x1111ul, b.Cpu.Msrs.KernelGsBase);
    }
}
