using JitVirt.Cpu.Execution;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>
/// Issue 4 acceptance 3: a guest remaps a linear page holding code to another frame and runs the
/// new code, once invalidating with INVLPG and once with a CR3 reload (SDM vol.3 §5.10.4.1: both
/// drop the old translation), in both tiers. The code page was executed before each remap, so a
/// translated block or a software-TLB entry for the old frame exists when the PTE changes.
/// </summary>
public sealed class StaleTranslationTests
{
    const ulong Code = 0x8000, Results = 0x5000;
    const ulong CodeLinear = 0x4000_0000; // outside the identity map
    const ulong FrameOne = 0x30_0000, FrameTwo = 0x30_1000, FrameThree = 0x30_2000;

    [Theory]
    [InlineData(Translation.Shadow, Tier.Interpreter)]
    [InlineData(Translation.Shadow, Tier.Il)]
    [InlineData(Translation.Direct, Tier.Interpreter)]
    [InlineData(Translation.Direct, Tier.Il)]
    public void A_remapped_code_page_runs_its_new_code_after_INVLPG_and_after_a_CR3_reload(Translation translation, Tier tier)
    {
        using var g = new PagedGuest(translation);
        ulong pte = g.Tables.Map4K(CodeLinear, FrameOne, P);
        // Three frames with different code at the same linear address: "mov eax, n; ret".
        g.Memory.WriteBytes(FrameOne, [0xB8, 0x11, 0, 0, 0, 0xC3]);
        g.Memory.WriteBytes(FrameTwo, [0xB8, 0x22, 0, 0, 0, 0xC3]);
        g.Memory.WriteBytes(FrameThree, [0xB8, 0x33, 0, 0, 0, 0xC3]);
        g.Load(Code, a =>
        {
            a.mov(rdi, Results);
            a.mov(rsi, CodeLinear);
            a.mov(rbx, pte); // the PTE, through the identity map
            for (int round = 0; round < 3; round++)
            {
                a.call(rsi); a.mov(__dword_ptr[rdi + round * 16], eax);
                // Remap with INVLPG.
                a.mov(rax, FrameTwo | P); a.mov(__qword_ptr[rbx], rax);
                a.invlpg(__[rsi]);
                a.call(rsi); a.mov(__dword_ptr[rdi + round * 16 + 4], eax);
                // Remap with a CR3 reload.
                a.mov(rax, FrameThree | P); a.mov(__qword_ptr[rbx], rax);
                a.mov(rax, cr3); a.mov(cr3, rax);
                a.call(rsi); a.mov(__dword_ptr[rdi + round * 16 + 8], eax);
                // Back to the first frame for the next round.
                a.mov(rax, FrameOne | P); a.mov(__qword_ptr[rbx], rax);
                a.invlpg(__[rsi]);
            }
            a.hlt();
        });

        Assert.Equal(StopReason.Halted, g.Run(Code, tier, budget: 10_000));
        Assert.False(g.Cpu.Faulted);
        for (ulong round = 0; round < 3; round++)
        {
            Assert.Equal(0x11ul, g.Memory.Read(Results + round * 16, 4));
            Assert.Equal(0x22ul, g.Memory.Read(Results + round * 16 + 4, 4));
            Assert.Equal(0x33ul, g.Memory.Read(Results + round * 16 + 8, 4));
        }
    }
}
