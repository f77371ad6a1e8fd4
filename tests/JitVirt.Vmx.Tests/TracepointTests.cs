using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Mmu.Shadow;
using JitVirt.TestGuests;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using JitVirt.Svm.Tests.Support;
using static JitVirt.Svm.Tests.Support.RecordingTracer;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// KVM's tracepoints (Linux arch/x86/kvm/trace.h) raised by the VMX front end, and its run counters.
/// Expected fields come from the instruction the guest ran: addresses from the assembled lengths,
/// the I/O qualification from SDM vol.3C Table 28-5, the MSR/CPUID/CR values from the registers the
/// guest loaded or got back, faulting addresses from the stack the test placed in a hole.
/// </summary>
public sealed class TracepointTests
{
    const ulong Code = BareMetal.CodeAddress;

    static ulong At(Action<Assembler> prefix) => Code + (ulong)VmxGuest.Encode(64, prefix).Length;

    static VmxGuest Traced(Action<Assembler> program, out RecordingTracer tracer, bool vpid = false,
        JitVirt.Cpu.Memory.IAddressTranslator? translator = null, Action<JitVirt.Cpu.Cpu>? setup = null)
    {
        var g = new VmxGuest(program, translator, vpid, setup);
        g.Vmx.Tracer = tracer = new RecordingTracer();
        return g;
    }

    [Fact]
    public void OutToAPortTracesExitPioAndTheEntryAfterIt()
    {
        Action<Assembler> prefix = a => a.mov(al, 0x5A);
        using var g = Traced(a => { prefix(a); a.@out(0x80, al); a.hlt(); }, out var t);
        Assert.Equal(StopReason.Halted, g.Run());
        ulong at = At(prefix), next = At(a => { prefix(a); a.@out(0x80, al); });
        // Table 28-5: size − 1 = 0, OUT (bit 3 clear), not string, no REP, immediate operand (bit 6), port in 31:16.
        ulong q = 0x80ul << 16 | 1ul << 6;
        Assert.Equal(new EntryEvent(Code), t.Events[0]);
        int exit = t.Events.FindIndex(e => e is ExitEvent { Reason: 30 });
        Assert.Equal(new ExitEvent(30, "IO_INSTRUCTION", at, q, 0, 0, 0), t.Events[exit]);
        Assert.Equal(new PioEvent(true, 0x80, 1, 1, 0x5A), t.Events[exit + 1]);
        Assert.Equal(new EntryEvent(next), t.Events[exit + 2]);
        Assert.Equal(new ExitEvent(12, "HLT", next, 0, 0, 0, 0), t.Events[exit + 3]);
    }

    [Fact]
    public void InAndRepInsTraceTheValuesRead()
    {
        using var g = Traced(a =>
        {
            a.mov(dx, 0x1F0);
            a.@in(eax, dx);
            a.mov(edi, (uint)BareMetal.DataAddress);
            a.mov(ecx, 4);
            a.rep.insw();
            a.hlt();
        }, out var t);
        g.Ports.InValue = 0x1234_BEEF;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal([new PioEvent(false, 0x1F0, 4, 1, 0x1234_BEEF), new PioEvent(false, 0x1F0, 2, 4, 0xBEEF)], t.Of<PioEvent>());
    }

    [Fact]
    public void WrmsrRdmsrAndAnUnknownMsrTraceIndexDataAndTheGp()
    {
        const uint sysenterEsp = 0x175, unknown = 0x4000_1234;
        const ulong value = 0xFFFF_8000_1234_5678;
        using var g = Traced(a =>
        {
            a.mov(ecx, sysenterEsp);
            a.mov(eax, unchecked((uint)value));
            a.mov(edx, (uint)(value >> 32));
            a.wrmsr();
            a.xor(eax, eax); a.xor(edx, edx);
            a.rdmsr();
            a.mov(r8, rax); a.mov(r9, rdx);
            a.mov(ecx, unknown);
            a.rdmsr();
            a.hlt();
        }, out var t);
        g.Run();
        var msr = t.Of<MsrEvent>().ToList();
        Assert.Equal(new MsrEvent(true, sysenterEsp, value, false), msr[0]);
        Assert.Equal(new MsrEvent(false, sysenterEsp, value, false), msr[1]);
        Assert.Equal(value, (g.Cpu.Gpr[Gpr.R9] << 32) | (uint)g.Cpu.Gpr[Gpr.R8]);
        Assert.Equal(new MsrEvent(false, unknown, 0, true), msr[2]);
        Assert.Equal(new InjectExceptionEvent(13, true, 0), t.Events[t.Events.IndexOf(msr[2]) + 1]);
    }

    [Fact]
    public void CpuidTracesLeafSubleafTheGuestsResultsAndWhetherTheLeafExists()
    {
        using var g = Traced(a =>
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
        bool found = 0x1234 <= r[Gpr.R8]; // leaf 0 EAX: the highest basic leaf (SDM vol.2 CPUID)
        Assert.False(found);
        Assert.Equal(
            [new CpuidEvent(0, 7, r[Gpr.R8], r[Gpr.R9], r[Gpr.R10], r[Gpr.R11], true),
             new CpuidEvent(0x1234, 0, r[Gpr.R12], r[Gpr.R13], r[Gpr.R14], r[Gpr.R15], found)],
            t.Of<CpuidEvent>());
    }

    [Fact]
    public void CrAccessTracesMovToCr0MovToAndFromCr8()
    {
        using var g = Traced(a =>
        {
            a.mov(rax, cr0);              // read shadow, no exit (CR0 mask)
            a.mov(r8, rax);
            a.xor(rax, (int)Cr0.WP);      // a host-owned bit differs from the read shadow: MOV to CR0 exits
            a.mov(r9, rax);
            a.mov(cr0, rax);
            a.mov(eax, 9);
            a.mov(cr8, rax);              // CR8-load exiting
            a.mov(rbx, cr8);              // CR8-store exiting
            a.hlt();
        }, out var t);
        Assert.Equal(StopReason.Halted, g.Run());
        ulong written = g.Cpu.Gpr[Gpr.R9];
        Assert.Equal((g.Cpu.Gpr[Gpr.R8] ^ Cr0.WP), written);
        Assert.Equal(9ul, g.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal([new CrEvent(true, 0, written), new CrEvent(true, 8, 9), new CrEvent(false, 8, 9)], t.Of<CrEvent>());
    }

    [Fact]
    public void PageFaultsAndTheExceptionsTheVmmInjectsAreTraced()
    {
        const ulong hole = 0x20_0000;
        using var g = Traced(a => { a.push(rax); a.hlt(); }, out var t, translator: new HoleTranslator(hole, hole + 0x1000), setup: cpu =>
        {
            GuestTables.Install(cpu);
            GuestTables.Gate(cpu, 14, Code + 0x800);
            GuestTables.Gate(cpu, 8, Code + 0x800);
            cpu.Gpr[4] = hole + 0x800; // the stack is in the hole
        });
        Assert.Equal(StopReason.Shutdown, g.Run());
        var pf = t.Of<PageFaultEvent>().ToList();
        var inj = t.Of<InjectExceptionEvent>().ToList();
        // The push writes 8 bytes below RSP; the HoleTranslator's error code for a write is W = 2.
        Assert.Equal(new PageFaultEvent(hole + 0x800 - 8, 2), pf[0]);
        Assert.Equal(3, pf.Count);
        // Delivering the reflected #PF and then #DF pushes the frame onto the same hole: supervisor writes.
        Assert.All(pf.Skip(1), p => Assert.True(p.Address >= hole && p.Address < hole + 0x1000 && p.ErrorCode == 2));
        Assert.Equal([new InjectExceptionEvent(14, true, 2), new InjectExceptionEvent(8, true, 0)], inj);
        var exit = t.Of<ExitEvent>().First();
        Assert.Equal(new ExitEvent(0, "EXCEPTION_NMI", Code, hole + 0x800 - 8, 0, 1u << 31 | 1u << 11 | 3u << 8 | 14, 2), exit);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CountersSayHowEntriesFlushedTheTlb(bool vpid)
    {
        // VMLAUNCH, then a VMRESUME after the CPUID and the OUT exits; the HLT exit goes to the machine.
        using var g = new VmxGuest(a => { a.cpuid(); a.@out(0x80, al); a.hlt(); }, vpid: vpid);
        Assert.Equal(StopReason.Halted, g.Run());
        var c = g.Vmx.Counters().ToDictionary(x => x.Key, x => x.Value);
        Assert.Equal(3, c["vmEntries"]);
        // Without VPID every entry flushes (SDM vol.3C §29.4.3.1); with it none does.
        Assert.Equal(vpid ? 0 : 3, c["tlbFlushesAtEntry"]);
        Assert.Equal(0, c["eventsInjected"]);
        Assert.DoesNotContain("shadowMmuFaults", c.Keys);
    }

    [Fact]
    public void ShadowMmuCountersAreReportedWhenTheShadowMmuTranslates()
    {
        using var g = new VmxGuest(a => { a.cpuid(); a.hlt(); }, setup: cpu => cpu.Translator = new ShadowMmu(cpu.Physical));
        g.Run();
        var keys = g.Vmx.Counters().Select(x => x.Key).ToList();
        Assert.Contains("shadowMmuFaults", keys);
        Assert.Contains("shadowMmuZaps", keys);
    }
}
