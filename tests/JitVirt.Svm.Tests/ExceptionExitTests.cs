using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Mmu.Walker;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// Exception intercepts (AMD APM vol.2 §15.12: EXITCODE 0x40 + vector, EXITINFO1 = the error code
/// when the exception pushes one, EXITINFO2 = the faulting address for #PF; faults save the faulting
/// instruction's RIP, traps the next one), EXITINTINFO for an exception during event delivery
/// (§15.7.2), and 2.6.20's #PF reflection with its #DF escalation.
/// </summary>
public class ExceptionExitTests
{
    static SvmGuest Run(int bits, Action<Assembler> program, int vector, Action<SvmGuest>? setup = null)
    {
        var g = new SvmGuest(bits, program, setup: setup);
        g.Svm.Vmcb.InterceptExceptions |= 1u << vector;
        g.Run();
        return g;
    }

    [Fact]
    public void DivideErrorIsAFaultWithoutErrorCode()
    {
        Label at = default;
        using var g = Run(64, a =>
        {
            at = a.CreateLabel();
            a.xor(edx, edx); a.mov(eax, 1); a.xor(ecx, ecx);
            a.Label(ref at);
            a.div(ecx);
            a.hlt();
        }, 0);
        var e = g.ExitsWith(0x40).First();
        Assert.Equal((0ul, 0ul, 0u, g.Rip(at)), (e.Info1, e.Info2, e.IntInfo, e.Rip));
        Assert.Equal("DE excp", g.Svm.Exits.Snapshot().Single(r => r.Index == 0x40).Name);
    }

    [Fact]
    public void SingleStepDebugIsATrapAfterTheInstruction()
    {
        Label after = default;
        using var g = Run(64, a =>
        {
            after = a.CreateLabel();
            a.pushfq();
            a.or(__qword_ptr[rsp], 0x100); // TF
            a.popfq();
            a.nop();
            a.Label(ref after);
            a.hlt();
        }, 1);
        var e = g.ExitsWith(0x41).First();
        Assert.Equal((0ul, g.Rip(after)), (e.Info1, e.Rip));
    }

    [Fact]
    public void Int3IsABreakpointTrap()
    {
        Label after = default;
        using var g = Run(64, a =>
        {
            after = a.CreateLabel();
            a.int3();
            a.Label(ref after);
            a.hlt();
        }, 3);
        var e = g.ExitsWith(0x43).First();
        Assert.Equal((0ul, g.Rip(after)), (e.Info1, e.Rip));
    }

    [Fact]
    public void IntoIsAnOverflowTrapIn32BitMode()
    {
        Label after = default;
        using var g = Run(32, a =>
        {
            after = a.CreateLabel();
            a.mov(al, 0x7F);
            a.add(al, 1); // OF = 1
            a.into();
            a.Label(ref after);
            a.hlt();
        }, 4);
        Assert.Equal(g.Rip(after), g.ExitsWith(0x44).First().Rip);
    }

    [Fact]
    public void BoundIsARangeFault()
    {
        Label at = default;
        using var g = Run(32, a =>
        {
            at = a.CreateLabel();
            a.mov(eax, 5);
            a.Label(ref at);
            a.bound(eax, __qword_ptr[(uint)SvmGuest.DataAddress]);
            a.hlt();
        }, 5, s => s.Memory.WriteBytes(SvmGuest.DataAddress, [0, 0, 0, 0, 1, 0, 0, 0])); // bounds 0..1
        Assert.Equal(g.Rip(at), g.ExitsWith(0x45).First().Rip);
    }

    [Fact]
    public void Ud2IsAnInvalidOpcodeFault()
    {
        Label at = default;
        using var g = Run(64, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.ud2();
        }, 6);
        var e = g.ExitsWith(0x46).First();
        Assert.Equal((0ul, g.Rip(at)), (e.Info1, e.Rip));
    }

    [Fact]
    public void DeviceNotAvailableWithCr0Ts()
    {
        Label at = default;
        using var g = Run(64, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.fld1();
            a.hlt();
        }, 7, s => s.Cpu.Cr0 |= Cr0.TS);
        Assert.Equal(g.Rip(at), g.ExitsWith(0x47).First().Rip);
    }

    [Fact]
    public void NonCanonicalStoreIsGpZeroAndStackIsSsZero()
    {
        Label gp = default, ss = default;
        using var g = Run(64, a =>
        {
            gp = a.CreateLabel(); ss = a.CreateLabel();
            a.mov(rax, 0x8000_0000_0000_0000);
            a.Label(ref gp);
            a.mov(__byte_ptr[rax], 0);
            a.hlt();
        }, 13);
        var e = g.ExitsWith(0x4D).First();
        Assert.Equal((0ul, g.Rip(gp)), (e.Info1, e.Rip));

        using var g2 = Run(64, a =>
        {
            ss = a.CreateLabel();
            a.mov(rsp, 0x8000_0000_0000_0008);
            a.Label(ref ss);
            a.push(rax);
            a.hlt();
        }, 12);
        var s2 = g2.ExitsWith(0x4C).First();
        Assert.Equal((0ul, g2.Rip(ss)), (s2.Info1, s2.Rip));
    }

    [Fact]
    public void SegmentNotPresentReportsTheSelector()
    {
        Label at = default;
        using var g = Run(32, a =>
        {
            at = a.CreateLabel();
            a.mov(ax, 0x18);
            a.Label(ref at);
            a.mov(ds, ax);
            a.hlt();
        }, 11, s =>
        {
            // GDT at 0x1000: null, code 0x08, data 0x10, not-present data 0x18 (P = 0 in access byte 0x13).
            s.Memory.WriteBytes(0x1000, new byte[8]);
            s.Memory.WriteBytes(0x1008, BitConverter.GetBytes(0x00CF_9A00_0000_FFFFul));
            s.Memory.WriteBytes(0x1010, BitConverter.GetBytes(0x00CF_9200_0000_FFFFul));
            s.Memory.WriteBytes(0x1018, BitConverter.GetBytes(0x00CF_1200_0000_FFFFul));
            s.Cpu.Gdtr = new DescriptorTableRegister { Base = 0x1000, Limit = 0x1F };
        });
        var e = g.ExitsWith(0x4B).First();
        Assert.Equal((0x18ul, g.Rip(at)), (e.Info1, e.Rip)); // error code: selector index, TI = 0, EXT = 0
    }

    [Fact]
    public void GpWhileDeliveringIntNRecordsTheSoftwareInterruptInExitIntInfo()
    {
        Label at = default;
        using var g = Run(32, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.@int(0x80);
            a.hlt();
        }, 13, s => s.Cpu.Idtr = new DescriptorTableRegister { Base = 0x2000, Limit = 0x7F * 8 + 7 });
        var e = g.ExitsWith(0x4D).First();
        // Vector 0x80 lies beyond the IDT limit: #GP(0x80 × 8 + IDT 2), EXT = 0 for INT n (SDM vol.3 §7.13);
        // EXITINTINFO: V | type 4 (software interrupt) | vector 0x80, no error code.
        Assert.Equal(0x80ul * 8 + 2, e.Info1);
        Assert.Equal(0x8000_0000u | 4u << 8 | 0x80u, e.IntInfo);
        Assert.Equal(g.Rip(at), e.Rip);
    }

    [Fact]
    public void DoubleFaultExitIsNotDuringDelivery()
    {
        using var g = Run(64, a => a.ud2(), 8, s => s.Cpu.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0 });
        // #UD finds no gate: #GP during delivery; the #GP finds none either: contributory after
        // contributory is #DF (SDM vol.3 Table 7-4), which exits with EXITINTINFO clear (fact sheet A5).
        var e = g.ExitsWith(0x48).First();
        Assert.Equal((0ul, 0u), (e.Info1, e.IntInfo));
    }

    /// <summary>4-level paging: 0–2 MiB mapped by one 2-MiB page, the next 2 MiB not present.</summary>
    static void Paging(SvmGuest s)
    {
        const ulong pml4 = 0x70000, pdpt = 0x71000, pd = 0x72000;
        s.Memory.WriteBytes(pml4, BitConverter.GetBytes(pdpt | 3));
        s.Memory.WriteBytes(pdpt, BitConverter.GetBytes(pd | 3));
        s.Memory.WriteBytes(pd, BitConverter.GetBytes(0x83ul)); // P | RW | PS: 2 MiB at 0
        s.Cpu.Cr3 = pml4;
    }

    [Fact]
    public void PageFaultReportsErrorCodeAndAddressAndEscalatesToDoubleFaultAsKvmDid()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(rax, 0x20_0010);
            a.Label(ref at);
            a.mov(__qword_ptr[rax], rcx);
            a.hlt();
        }, translator: new GuestPageWalker(), setup: s =>
        {
            Paging(s);
            s.Cpu.Idtr = new DescriptorTableRegister { Base = 0x20_0000, Limit = 0xFFF }; // the IDT is on the unmapped page
        });
        Assert.Equal(StopReason.Shutdown, g.Run());
        var pf = g.ExitsWith(0x4E).ToList();
        Assert.Equal(3, pf.Count);
        // 1: the guest's write to a not-present page: error code W (bit 1) = 2, CR2 = the address.
        Assert.Equal((2ul, 0x20_0010ul, 0u, g.Rip(at)), (pf[0].Info1, pf[0].Info2, pf[0].IntInfo, pf[0].Rip));
        // 2: reflecting it reads IDT entry 14 (16 bytes each in long mode) from the unmapped page: a
        //    supervisor read, error code 0, while the #PF is being delivered.
        Assert.Equal((0ul, 0x20_0000ul + 14 * 16), (pf[1].Info1, pf[1].Info2));
        Assert.Equal(0x8000_0000u | 1u << 11 | 3u << 8 | 14u, pf[1].IntInfo);
        Assert.Equal(2u, pf[1].IntInfoError);
        // 3: #PF during #PF delivery made the VMM inject #DF(0) (svm_inject_page_fault); delivering it
        //    faults on IDT entry 8, and a fault during #DF is a triple fault.
        Assert.Equal(0x20_0000ul + 8 * 16, pf[2].Info2);
        Assert.Equal(0x8000_0000u | 1u << 11 | 3u << 8 | 8u, pf[2].IntInfo);
        Assert.Equal(0u, pf[2].IntInfoError);
        Assert.Equal(0x20_0000ul + 8 * 16, g.Svm.Vmcb.Cr2); // CR2 written by the reflection
    }
}
