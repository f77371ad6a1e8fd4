using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Acceptance 4: two address spaces (two CR3 values, distinct translation tags) that map the same
/// physical code at different linear addresses; a guest alternating between them compiles nothing
/// more after warm-up, because compiled code is keyed by guest-physical address and the jump caches
/// are per tag.
/// </summary>
public sealed class AddressSpaceSwitchTests
{
    const ulong CodeLinearA = 0x40_0000, CodeLinearB = 0x80_0000, Cr3A = 0xA000, Cr3B = 0xB000;

    static void Loop(Assembler a)
    {
        var top = a.CreateLabel();
        var even = a.CreateLabel();
        a.Label(ref top);
        a.inc(eax);
        a.test(eax, 1);
        a.jz(even);
        a.add(ebx, eax);
        a.jmp(top);
        a.Label(ref even);
        a.xor(ecx, eax);
        a.jmp(top);
    }

    [Fact]
    public void Alternating_address_spaces_compile_nothing_after_warm_up()
    {
        using var m = new BareMetal(Loop, new TwoSpaceTranslator());
        var cpu = m.Cpu;
        var executor = new TieredExecutor(cpu, m.Interpreter, threshold: 0);
        int compiledAfterWarmUp = -1;
        long membersAfterWarmUp = -1;
        long decodedAfterWarmUp = -1;
        cpu.Rip = CodeLinearB + (cpu.Rip - BareMetal.CodeAddress);
        ulong fromBase = CodeLinearB;
        for (int round = 0; round < 40; round++)
        {
            bool toA = round % 2 == 0;
            ulong toBase = toA ? CodeLinearA : CodeLinearB;
            // As at a VM entry: the tag first, then the guest's CR3 (MOV CR3 flushes the current tag's TLB).
            cpu.SetTranslationTag(toA ? 1u : 2u);
            Assert.True(cpu.TryWriteCr3(toA ? Cr3A : Cr3B));
            cpu.Rip = toBase + (cpu.Rip - fromBase);
            fromBase = toBase;
            long before = cpu.InstructionsRetired;
            Assert.Equal(StopReason.BudgetExhausted, executor.Run(3000));
            Assert.Equal(3000, cpu.InstructionsRetired - before);
            Assert.InRange(cpu.Rip, toBase, toBase + 0xFFF); // it ran in the space it was switched to
            if (round == 3)
            {
                compiledAfterWarmUp = executor.BlocksCompiled;
                membersAfterWarmUp = executor.RegionBlocksCompiled;
                decodedAfterWarmUp = m.Interpreter.Blocks.BlocksDecoded;
            }
        }
        // The loop's three blocks compiled during warm-up (in regions: the bodies hold at least three member blocks).
        Assert.True(compiledAfterWarmUp >= 1 && membersAfterWarmUp >= 3, $"{compiledAfterWarmUp} bodies, {membersAfterWarmUp} member blocks after warm-up");
        Assert.Equal(compiledAfterWarmUp, executor.BlocksCompiled);
        Assert.Equal(decodedAfterWarmUp, m.Interpreter.Blocks.BlocksDecoded);
    }

    [Fact]
    public void A_jump_cache_entry_survives_other_tags_and_their_flushes_but_not_its_own_flush()
    {
        var cache = new BlockCache();
        var block = new DecodedBlock(0x1000, CodeMode.Bits64, 0x1000, [], 1);
        cache.SwitchTag(1);
        cache.RememberLinear(0x40_1000, CodeMode.Bits64, false, block);
        cache.SwitchTag(2);
        Assert.Null(cache.LookupLinear(0x40_1000, CodeMode.Bits64, false)); // tag 2 never saw it
        cache.FlushJumpCache();
        cache.SwitchTag(1);
        Assert.Same(block, cache.LookupLinear(0x40_1000, CodeMode.Bits64, false));
        cache.FlushJumpCache();
        Assert.Null(cache.LookupLinear(0x40_1000, CodeMode.Bits64, false));
    }

    [Fact]
    public void Dropping_all_translations_clears_every_tag()
    {
        var cache = new BlockCache();
        var block = new DecodedBlock(0x1000, CodeMode.Bits64, 0x1000, [], 1);
        cache.SwitchTag(7);
        cache.RememberLinear(0x40_1000, CodeMode.Bits64, false, block);
        cache.SwitchTag(0);
        cache.Clear();
        cache.SwitchTag(7);
        Assert.Null(cache.LookupLinear(0x40_1000, CodeMode.Bits64, false));
    }

    /// <summary>CR3 selects where the code frames appear: at CodeLinearA or CodeLinearB (two pages); everything else is identity.</summary>
    sealed class TwoSpaceTranslator : IAddressTranslator
    {
        public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
        {
            ulong codeBase = cpu.Cr3 == Cr3A ? CodeLinearA : cpu.Cr3 == Cr3B ? CodeLinearB : ulong.MaxValue;
            physical = linear - codeBase < 0x2000 ? BareMetal.CodeAddress + (linear - codeBase) : linear;
            pageFaultErrorCode = 0;
            return true;
        }

        public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
    }
}
