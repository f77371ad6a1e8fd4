using JitVirt.TestGuests;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>A guest store into a compiled block's code invalidates it; the executor then decodes and compiles the new code.</summary>
public sealed class InvalidationTests
{
    [Fact]
    public void Self_modified_block_is_recompiled_and_still_matches_the_interpreter()
    {
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            a.xor(edx, edx);          // RDX holds the reset signature
            a.Label(ref top);         // the patched instruction is the first one: top is its address
            a.mov(eax, 1);             // B8 01 00 00 00
            a.add(ebx, eax);
            a.inc(edx);
            a.cmp(edx, 10);
            a.jne(top);
            a.mov(__dword_ptr[top], 0x7B8); // B8 07 00 00: now "mov eax, 7"
            a.xor(edx, edx);
            a.jmp(top);
        });
        run.Run(120);
        var blocks = run.Tiered.Interpreter.Blocks;
        Assert.True(blocks.BlocksInvalidated > 0, $"invalidated {blocks.BlocksInvalidated}, ebx {run.Tiered.Cpu.Gpr[3]}, ref ebx {run.Reference.Cpu.Gpr[3]} ref invalidated {run.Reference.Interpreter.Blocks.BlocksInvalidated}, code {Convert.ToHexString(Bytes(run))}, edx {run.Tiered.Cpu.Gpr[2]}");
        Assert.True(run.Executor.BlocksCompiled >= 3);
        Assert.True(run.Tiered.Cpu.Gpr[3] > 7 * 10, "the patched instruction ran");
    }

    static byte[] Bytes(Lockstep run) { var b = new byte[48]; run.Tiered.Memory.ReadBytes(BareMetal.CodeAddress, b); return b; }
}
