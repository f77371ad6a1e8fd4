using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// A fault in the middle of a compiled block leaves RIP, registers, flags and the pending
/// exception exactly as the interpreter leaves them (the fault stays undelivered in both).
/// </summary>
public sealed class PreciseFaultTests
{
    const ulong Hole = 0x200_000;

    /// <summary>Inline work before and after the faulting instruction, so its registers and flags are live in locals.</summary>
    static Action<Assembler> Around(Action<Assembler> faulting) => a =>
    {
        a.mov(eax, 100);
        a.mov(rbx, 0x1234_5678_9ABC);
        a.add(rbx, rax);
        a.xor(edx, edx);
        a.mov(ecx, 7);
        a.sub(ecx, 9);            // CF=1, SF=1: flags the fault must not disturb
        a.lea(rdi, __[rbx + rax * 2 + 8]);
        faulting(a);
        a.inc(rax);
        a.mov(rbx, rcx);
        var end = a.CreateLabel();
        a.jmp(end);
        a.Label(ref end);
        a.hlt();
    };

    [Fact]
    public void Divide_error_mid_block() => AssertSameFault(Around(a => { a.xor(esi, esi); a.div(rsi); }), ExceptionVector.DivideError);

    [Fact]
    public void Page_fault_mid_block() => AssertSameFault(Around(a => { a.mov(rsi, (long)Hole + 0x10); a.mov(__qword_ptr[rsi], rbx); }), ExceptionVector.PageFault);

    [Fact]
    public void Invalid_opcode_mid_block() => AssertSameFault(Around(a => a.ud2()), ExceptionVector.InvalidOpcode);

    static void AssertSameFault(Action<Assembler> program, byte vector)
    {
        using var reference = new BareMetal(program, new HoleTranslator(Hole, Hole + 0x1000));
        using var tiered = new BareMetal(program, new HoleTranslator(Hole, Hole + 0x1000));

        while (reference.Interpreter.StepWithoutDelivery()) { }

        var block = DecodeAt(tiered);
        var body = BlockCompiler.Compile(block);
        tiered.Cpu.Pending = 0; // the executor enters compiled code only with nothing pending (Restart left ModeChanged)
        tiered.Cpu.CodeDelta = tiered.Cpu.Rip - block.DecodeRip;
        int done = body(tiered.Cpu, block.Instructions);

        Assert.True(reference.Cpu.Faulted);
        Assert.Equal(vector, reference.Cpu.PendingException.Vector);
        Assert.True(done < block.Instructions.Length);
        string diff = ArchState.Of(reference.Cpu).Diff(ArchState.Of(tiered.Cpu));
        Assert.True(diff.Length == 0, diff);
    }

    /// <summary>Decodes the block at RIP with the frontend and the interpreter's handlers, without running it.</summary>
    static unsafe DecodedBlock DecodeAt(BareMetal m)
    {
        HandlerTable.EnsureInitialized();
        var page = new byte[4096];
        m.Memory.ReadBytes(BareMetal.CodeAddress, page);
        var block = new BlockDecoder().Decode(page, () => null, BareMetal.CodeAddress, CodeMode.Bits64, m.Cpu.Rip);
        var handlers = new nint[block.Instructions.Length];
        for (int k = 0; k < handlers.Length; k++) handlers[k] = (nint)HandlerTable.Handlers[(int)block.Instructions[k].Code];
        block.Handlers = handlers;
        return block;
    }
}
