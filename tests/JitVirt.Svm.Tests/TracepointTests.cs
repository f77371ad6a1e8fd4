using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Svm.Tests.Support.RecordingTracer;

namespace JitVirt.Svm.Tests;

/// <summary>
/// KVM's tracepoints (Linux arch/x86/kvm/trace.h) raised by the SVM front end, and its run counters.
/// Every expected field is computed here from the instruction the guest ran (port, size, value,
/// MSR index and data, CPUID leaf and the registers the guest got back, CR number and operand,
/// faulting address and error code from the page tables the test built, AMD APM vol.2 §15.10.2
/// for EXITINFO1 of IOIO), never read back from the front end.
/// </summary>
public class TracepointTests
{
    static SvmGuest Traced(int bits, Action<Assembler> program, out RecordingTracer tracer, Action<SvmGuest>? setup = null)
    {
        var g = new SvmGuest(bits, program, setup: setup);
        g.Svm.Tracer = tracer = new RecordingTracer();
        return g;
    }

    [Fact]
    public void OutToAPortTracesExitPioAndTheEntryAfterIt()
    {
        Label at = default;
        using var g = Traced(64, a =>
        {
            at = a.CreateLabel();
            a.mov(al, 0x5A);
            a.Label(ref at);
            a.@out(0x80, al); // E6 80: two bytes
            a.hlt();
        }, out var t);
        Assert.Equal(StopReason.Halted, g.Run());
        ulong next = g.Rip(at) + 2;
        // EXITINFO1: port 80h in bits 31:16, 8-bit operand (bit 4), 64-bit addressing (bit 9), OUT (bit 0 clear).
        ulong info1 = 0x80ul << 16 | 1ul << 4 | 1ul << 9;
        Assert.IsType<EntryEvent>(t.Events[0]);
        Assert.Equal(SvmGuest.CodeAddress, ((EntryEvent)t.Events[0]).Rip);
        int exit = t.Events.FindIndex(e => e is ExitEvent { Reason: 0x7B });
        Assert.Equal(new ExitEvent(0x7B, "io", g.Rip(at), info1, next, 0, 0), t.Events[exit]);
        Assert.Equal(new PioEvent(true, 0x80, 1, 1, 0x5A), t.Events[exit + 1]);
        Assert.Equal(new EntryEvent(next), t.Events[exit + 2]);
        Assert.Equal(new ExitEvent(0x78, "hlt", next, 0, 0, 0, 0), t.Events[exit + 3]);
    }

    [Fact]
    public void InFromAPortTracesTheValueRead()
    {
        using var g = Traced(32, a =>
        {
            a.mov(dx, 0x1F0);
            a.@in(ax, dx);
            a.hlt();
        }, out var t);
        g.Ports.InValue = 0x1234_BEEF;
        g.Run();
        Assert.Equal(new PioEvent(false, 0x1F0, 2, 1, 0xBEEF), Assert.Single(t.Of<PioEvent>()));
    }

    [Fact]
    public void RepOutsbTracesOneEventWithTheCountAndTheFirstByte()
    {
        using var g = Traced(32, a =>
        {
            a.mov(esi, (uint)SvmGuest.DataAddress);
            a.mov(ecx, 3);
            a.mov(dx, 0x3F8);
            a.rep.outsb();
            a.hlt();
        }, out var t, setup: s => s.Memory.WriteBytes(SvmGuest.DataAddress, [0x41, 0x42, 0x43]));
        g.Run();
        Assert.Equal(new PioEvent(true, 0x3F8, 1, 3, 0x41), Assert.Single(t.Of<PioEvent>()));
        Assert.Equal([0x41u, 0x42u, 0x43u], g.Ports.Accesses.Select(x => x.Value));
    }

    [Fact]
    public void WrmsrRdmsrAndAnUnknownMsrTraceIndexDataAndTheGp()
    {
        const uint pat = 0x277, unknown = 0x4000_1234;
        const ulong value = 0x0106_0504_0007_0406; // every byte a valid PAT type (SDM vol.3 §13.12.2)
        using var g = Traced(64, a =>
        {
            a.mov(ecx, pat);
            a.mov(eax, unchecked((uint)value));
            a.mov(edx, (uint)(value >> 32));
            a.wrmsr();
            a.xor(eax, eax); a.xor(edx, edx);
            a.rdmsr();
            a.mov(r8, rax); a.mov(r9, rdx);
            a.mov(ecx, unknown);
            a.rdmsr(); // not a model MSR: #GP(0) injected (no IDT: the guest shuts down)
            a.hlt();
        }, out var t);
        g.Run();
        var msr = t.Of<MsrEvent>().ToList();
        Assert.Equal(3, msr.Count);
        Assert.Equal(new MsrEvent(true, pat, value, false), msr[0]);
        Assert.Equal(new MsrEvent(false, pat, value, false), msr[1]);
        Assert.Equal(value, (g.Cpu.Gpr[Gpr.R9] << 32) | (uint)g.Cpu.Gpr[Gpr.R8]); // what the guest itself read
        Assert.Equal(new MsrEvent(false, unknown, 0, true), msr[2]);
        int gp = t.Events.IndexOf(msr[2]);
        Assert.Equal(new InjectExceptionEvent(13, true, 0), t.Events[gp + 1]);
    }

    [Fact]
    public void CpuidTracesLeafSubleafTheGuestsResultsAndWhetherTheLeafExists()
    {
        using var g = Traced(64, a =>
        {
            a.xor(eax, eax); a.mov(ecx, 7);
            a.cpuid();
            a.mov(r8, rax); a.mov(r9, rbx); a.mov(r10, rcx); a.mov(r11, rdx);
            a.mov(eax, 0x1234); a.xor(ecx, ecx);
            a.cpuid();
            a.mov(r12, rax); a.mov(r13, rbx); a.mov(r14, rcx); a.mov(r15, rdx);
            a.hlt();
        }, out var t);
        Assert.Equal(StopReason.Halted, g.Run());
        var r = g.Cpu.Gpr;
        var c = t.Of<CpuidEvent>().ToList();
        Assert.Equal(2, c.Count);
        Assert.Equal(new CpuidEvent(0, 7, r[Gpr.R8], r[Gpr.R9], r[Gpr.R10], r[Gpr.R11], true), c[0]);
        // Leaf 0 EAX is the highest basic leaf (SDM vol.2 CPUID): 0x1234 is beyond it, so not found.
        bool found = 0x1234 <= r[Gpr.R8];
        Assert.Equal(new CpuidEvent(0x1234, 0, r[Gpr.R12], r[Gpr.R13], r[Gpr.R14], r[Gpr.R15], found), c[1]);
        Assert.False(found);
    }

    [Fact]
    public void MovToAndFromControlRegistersTracesTheCrAndTheValue()
    {
        using var g = Traced(64, a =>
        {
            a.mov(rax, 0x5000);
            a.mov(cr3, rax);
            a.mov(rbx, cr3);
            a.mov(rcx, cr0);
            a.clts(); // LMSW/CLTS: emulated without decode assists, so no kvm_cr (KVM's SVM did the same)
            a.hlt();
        }, out var t);
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(0x5000ul, g.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(
            [new CrEvent(true, 3, 0x5000), new CrEvent(false, 3, 0x5000), new CrEvent(false, 0, g.Cpu.Gpr[Gpr.Rcx])],
            t.Of<CrEvent>());
        Assert.NotEqual(0ul, g.Cpu.Gpr[Gpr.Rcx] & Cr0.PE);
    }

    [Fact]
    public void PageFaultsAndTheExceptionsTheVmmInjectsAreTraced()
    {
        Label at = default;
        using var g = Traced(64, a =>
        {
            at = a.CreateLabel();
            a.mov(rax, 0x20_0010);
            a.Label(ref at);
            a.mov(__qword_ptr[rax], rcx);
            a.hlt();
        }, out var t, setup: PagingWithIdtOnAHole);
        Assert.Equal(StopReason.Shutdown, g.Run());
        // The write to the not-present page (error code W = 2); reflecting it reads IDT entry 14 (16 bytes
        // each in long mode) from the same hole (supervisor read, 0): #DF(0); delivering that reads entry 8.
        const ulong idt = 0x20_0000;
        Event[] expected =
        [
            new PageFaultEvent(0x20_0010, 2), new InjectExceptionEvent(14, true, 2),
            new PageFaultEvent(idt + 14 * 16, 0), new InjectExceptionEvent(8, true, 0),
            new PageFaultEvent(idt + 8 * 16, 0),
        ];
        Assert.Equal(expected, t.Events.Where(e => e is PageFaultEvent or InjectExceptionEvent));
        var exits = t.Of<ExitEvent>().Where(e => e.Reason == 0x4E).ToList();
        Assert.Equal(new ExitEvent(0x4E, "PF excp", g.Rip(at), 2, 0x20_0010, 0, 0), exits[0]);
        // The second #PF interrupted the delivery of the first: EXITINTINFO = V | EV | type 3 | vector 14, error code 2.
        Assert.Equal((0x8000_0000u | 1u << 11 | 3u << 8 | 14u, 2u), (exits[1].IntrInfo, exits[1].ErrorCode));
    }

    [Fact]
    public void CountersFollowTheAsidRulesOf2620()
    {
        // NASID = 2: one guest ASID, so every new_asid wraps the pool (a new generation, TLB_CONTROL = 1).
        // The first VMRUN takes an ASID; each guest CR3 write is a TLB flush, so force_new_asid.
        using var g = new SvmGuest(64, a =>
        {
            a.mov(rax, 0x5000); a.mov(cr3, rax);
            a.mov(rax, 0x6000); a.mov(cr3, rax);
            a.hlt();
        }, asids: new AsidAllocator(2));
        Assert.Equal(StopReason.Halted, g.Run());
        var c = g.Svm.Counters().ToDictionary(x => x.Key, x => x.Value);
        Assert.Equal(3, c["asidAllocations"]);
        Assert.Equal(3, c["asidGenerationRollovers"]);
        Assert.Equal(3, c["tlbTagFlushes"]);
        Assert.Equal(0, c["eventsInjected"]);
        Assert.DoesNotContain("shadowMmuFaults", c.Keys); // no shadow MMU under the identity translator
    }

    [Fact]
    public void CountersWithManyAsidsRollOverOnlyAtTheFirstVmrun()
    {
        using var g = new SvmGuest(64, a =>
        {
            a.mov(rax, 0x5000); a.mov(cr3, rax);
            a.mov(rax, 0x6000); a.mov(cr3, rax);
            a.hlt();
        });
        g.Run();
        var c = g.Svm.Counters().ToDictionary(x => x.Key, x => x.Value);
        // The pool starts exhausted (2.6.20: the first new_asid wraps); then ASIDs 2 and 3 are fresh: an ASID switch flushes, no wrap.
        Assert.Equal((3L, 1L, 3L), (c["asidAllocations"], c["asidGenerationRollovers"], c["tlbTagFlushes"]));
    }

    [Fact]
    public void ShadowMmuCountersAreReportedWhenTheShadowMmuTranslates()
    {
        ShadowMmu? mmu = null;
        using var g = new SvmGuest(64, a =>
        {
            a.mov(rax, 0x20_0010);
            a.mov(__qword_ptr[rax], rcx);
            a.hlt();
        }, setup: s => { PagingWithIdtOnAHole(s); s.Cpu.Translator = mmu = new ShadowMmu(s.Memory); });
        g.Svm.Vmcb.InterceptExceptions &= ~(1u << 14); // the guest's own #PF path: the faults stay inside the executor
        g.Run();
        var c = g.Svm.Counters().ToDictionary(x => x.Key, x => x.Value);
        Assert.Contains("shadowMmuGuestFaults", c.Keys);
        Assert.True(c["shadowMmuGuestFaults"] >= 1); // at least the guest's write to the not-present page
        Assert.True(c["eventsInjected"] == 0);
        Assert.NotNull(mmu);
    }

    /// <summary>4-level paging: 0–2 MiB mapped by one 2-MiB page, the next 2 MiB not present; the IDT sits on the hole.</summary>
    static void PagingWithIdtOnAHole(SvmGuest s)
    {
        const ulong pml4 = 0x70000, pdpt = 0x71000, pd = 0x72000;
        s.Memory.WriteBytes(pml4, BitConverter.GetBytes(pdpt | 3));
        s.Memory.WriteBytes(pdpt, BitConverter.GetBytes(pd | 3));
        s.Memory.WriteBytes(pd, BitConverter.GetBytes(0x83ul)); // P | RW | PS: 2 MiB at 0
        s.Cpu.Cr3 = pml4;
        s.Cpu.Translator = new GuestPageWalker();
        s.Cpu.Idtr = new DescriptorTableRegister { Base = 0x20_0000, Limit = 0xFFF };
    }
}
