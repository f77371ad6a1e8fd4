using JitVirt.Cpu.Execution;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// ASIDs as 2.6.20 managed them (fact sheet A12; AMD APM vol.2 §15.16): a fresh ASID after every
/// guest CR3 write (force_new_asid), handed out 1 … NASID−1 in order, and a wrap into a new
/// generation with TLB_CONTROL = FLUSH_ALL_ASID. The processor's lookups follow the ASID; a CR3
/// switch never recompiles code.
/// </summary>
public class AsidTests
{
    [Fact]
    public void EveryCr3WriteGetsAFreshAsidAndAWrapFlushesAll()
    {
        const uint nasid = 4; // guest ASIDs 1, 2, 3
        var seen = new List<(uint Asid, byte TlbControl, uint Tag)>();
        using var g = new SvmGuest(64, a =>
        {
            a.mov(rax, cr3);
            for (int k = 0; k < 5; k++) a.mov(cr3, rax);
            a.hlt();
        }, asids: new AsidAllocator(nasid));
        g.Svm.ExitObserver += s => seen.Add((s.Vmcb.GuestAsid, s.Vmcb.TlbControl, s.Cpu.TranslationTag));
        Assert.Equal(StopReason.Halted, g.Run());

        // The model, from the fact sheet: the pool starts past its end (next = NASID), so the first
        // VMRUN wraps; each CR3 write makes the next VMRUN allocate; a wrap flushes all ASIDs.
        var expected = new List<(uint, byte, uint)>();
        uint next = nasid;
        uint Allocate(out byte tlb)
        {
            tlb = 0;
            if (next > nasid - 1) { next = 1; tlb = 1; }
            return next++;
        }
        uint asid = Allocate(out byte control);
        expected.Add((asid, control, asid)); // read_cr3
        for (int k = 0; k < 5; k++)
        {
            // write_cr3 exit k happens under the ASID its predecessor's force_new_asid produced; the
            // first one follows read_cr3, which kept the ASID (and TLB_CONTROL is reset at every VMRUN).
            if (k > 0) asid = Allocate(out control);
            else control = 0;
            expected.Add((asid, control, asid));
        }
        asid = Allocate(out control);
        expected.Add((asid, control, asid)); // hlt
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void Cr3SwitchesKeepTheTranslatedCode()
    {
        using var g = new SvmGuest(64, a =>
        {
            var loop = a.CreateLabel();
            a.mov(rax, cr3);
            a.mov(ecx, 20);
            a.Label(ref loop);
            a.mov(cr3, rax);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        }, tiered: true);
        var blocksAtWrite = new List<(int Decoded, int Compiled)>();
        int invalidations = 0;
        g.Cpu.TranslatedCodeInvalidated += () => invalidations++;
        g.Svm.ExitObserver += s => { if (s.Vmcb.ExitCode == 0x13) blocksAtWrite.Add((g.Interpreter.Blocks.Count, g.Tiered!.BlocksCompiled)); };
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(20, blocksAtWrite.Count);
        // After the loop's first passes nothing is decoded or compiled again: the ASID switch and the
        // TLB flush of each CR3 write drop translations of addresses, never code.
        Assert.All(blocksAtWrite.Skip(2), n => Assert.Equal(blocksAtWrite[2], n));
        Assert.Equal(0, invalidations);
    }

    [Fact]
    public void InvlpgaDropsOnlyTheCurrentAsidsPage()
    {
        using var g = new SvmGuest(64, a => { a.nop(); a.hlt(); });
        g.Run();
        int flushes = 0;
        g.Cpu.TlbFlushed += () => flushes++;
        uint current = g.Cpu.TranslationTag;
        Assert.Equal(g.Svm.Vmcb.GuestAsid, current);
        g.Svm.Invlpga(0x1000, current + 1);
        Assert.Equal(0, flushes);
        g.Svm.Invlpga(0x1000, current);
        Assert.Equal(1, flushes);
    }
}
