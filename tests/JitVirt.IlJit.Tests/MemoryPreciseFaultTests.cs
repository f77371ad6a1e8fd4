using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Faults raised by the inline memory forms (on their slow path) leave RIP, registers, flags,
/// CR2, the retired count, the pending exception and memory exactly as the interpreter does.
/// The linear page [Hole, Hole + 4 KiB) is not present (#PF with P=0, SDM vol.3 §5.7).
/// </summary>
public sealed class MemoryPreciseFaultTests
{
    const ulong Hole = 0x200_000;
    const long InHole = (long)Hole + 0x10;
    const long NonCanonical = unchecked((long)0x8000_0000_0000_0010);

    /// <summary>Inline register work before and after, so registers and the flag record are live in locals when it faults.</summary>
    static Action<Assembler> Around(Action<Assembler> faulting) => a =>
    {
        a.mov(eax, 100);
        a.mov(rbx, 0x1234_5678_9ABC);
        a.mov(rdi, (long)BareMetal.DataAddress);
        a.mov(__qword_ptr[rdi + 8], rbx); // an inline store
        a.add(rbx, rax);
        a.mov(ecx, 7);
        a.sub(ecx, 9);            // CF=1, SF=1; CMP below would make it dead if the fault could not see it
        faulting(a);
        a.cmp(ebx, ecx);
        a.inc(rax);
        var end = a.CreateLabel();
        a.jmp(end);
        a.Label(ref end);
        a.hlt();
    };

    [Fact] public void Page_fault_on_an_inline_load() => Run(Around(a => { a.mov(rsi, InHole); a.mov(rdx, __qword_ptr[rsi]); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_an_inline_32_bit_store() => Run(Around(a => { a.mov(rsi, InHole); a.mov(__dword_ptr[rsi + 4], ebx); }), ExceptionVector.PageFault, (ulong)InHole + 4);
    [Fact] public void Page_fault_on_an_alu_load() => Run(Around(a => { a.mov(rsi, InHole); a.sub(rcx, __qword_ptr[rsi]); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_a_read_modify_write() => Run(Around(a => { a.mov(rsi, InHole); a.add(__qword_ptr[rsi], rbx); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_a_read_modify_write_with_an_immediate() => Run(Around(a => { a.mov(rsi, InHole); a.or(__dword_ptr[rsi], 1); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_a_memory_compare() => Run(Around(a => { a.mov(rsi, InHole); a.cmp(__dword_ptr[rsi], 5); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_a_push() => Run(Around(a => { a.mov(rsp, InHole + 8); a.push(rbx); }), ExceptionVector.PageFault, (ulong)InHole);
    [Fact] public void Page_fault_on_a_pop() => Run(Around(a => { a.mov(rsp, InHole); a.pop(rcx); }), ExceptionVector.PageFault, (ulong)InHole);

    /// <summary>A 4-byte load whose last two bytes are on the not-present page: CR2 = the first byte there (SDM vol.3 §5.7).</summary>
    [Fact] public void Page_fault_on_a_page_crossing_inline_load() => Run(Around(a => { a.mov(rsi, (long)Hole - 2); a.mov(edx, __dword_ptr[rsi]); }), ExceptionVector.PageFault, Hole);

    /// <summary>A 2-byte store with its second byte on the not-present page, and an extending byte load there.</summary>
    [Fact] public void Page_fault_on_a_page_crossing_word_store() => Run(Around(a => { a.mov(rsi, (long)Hole - 1); a.mov(__word_ptr[rsi], cx); }), ExceptionVector.PageFault, Hole);
    [Fact] public void Page_fault_on_an_extending_load() => Run(Around(a => { a.mov(rsi, InHole); a.movsx(rdx, __byte_ptr[rsi + 3]); }), ExceptionVector.PageFault, (ulong)InHole + 3);

    /// <summary>A page-crossing read-modify-write: nothing of it is written on the present page.</summary>
    [Fact]
    public void Page_fault_on_a_page_crossing_read_modify_write()
    {
        using var tiered = AssertSameFault(Around(a => { a.mov(rsi, (long)Hole - 4); a.xor(__qword_ptr[rsi], rbx); }), ExceptionVector.PageFault, Hole);
        Assert.Equal(0ul, tiered.Memory.Read(Hole - 4, 4));
    }

    /// <summary>64-bit mode: a data reference through a non-canonical address is #GP(0) (SDM vol.1 §3.3.7.1; vol.3 §6.15 Interrupt 13).</summary>
    [Fact] public void General_protection_on_a_non_canonical_inline_store() => Run(Around(a => { a.mov(rsi, NonCanonical); a.mov(__qword_ptr[rsi], rbx); }), ExceptionVector.GeneralProtection);

    [Fact] public void General_protection_on_a_non_canonical_inline_load() => Run(Around(a => { a.mov(rsi, NonCanonical); a.add(ebx, __dword_ptr[rsi]); }), ExceptionVector.GeneralProtection);

    /// <summary>…and through the stack, #SS(0) (SDM vol.3 §6.15 Interrupt 12).</summary>
    [Fact] public void Stack_fault_on_a_non_canonical_push() => Run(Around(a => { a.mov(rsp, NonCanonical); a.push(rax); }), ExceptionVector.StackFault);

    /// <summary>
    /// The block's last instruction is an inline load (the decoder ends a block after
    /// BlockDecoder.MaxInstructions): the fault leaves the state of the instruction before it.
    /// </summary>
    [Fact]
    public void Page_fault_on_the_last_instruction_of_a_block()
    {
        Run(a =>
        {
            a.mov(rsi, InHole);
            a.mov(ecx, 7);
            for (int n = 0; n < BlockDecoder.MaxInstructions - 4; n++) a.add(ecx, n);
            a.sub(ecx, 0x10000);
            a.mov(rdx, __qword_ptr[rsi]); // instruction MaxInstructions - 1
            a.hlt();
        }, ExceptionVector.PageFault, (ulong)InHole, lastInstruction: true);
    }

    /// <summary>Register work, then <paramref name="transfer"/> as the block's last instruction.</summary>
    static Action<Assembler> EndingWith(Action<Assembler> transfer) => a =>
    {
        var function = a.CreateLabel();
        a.mov(eax, 100);
        a.mov(rbx, 0x1234_5678_9ABC);
        a.add(rbx, rax);
        a.mov(ecx, 7);
        a.sub(ecx, 9);
        transfer(a);
        a.hlt();
        a.Label(ref function);
        a.hlt();
    };

    /// <summary>CALL rel32 whose push of the return RIP hits the not-present page: #PF, RSP and RIP unchanged.</summary>
    [Fact]
    public void Page_fault_on_an_inline_call() => Run(EndingWith(a =>
    {
        var target = a.CreateLabel();
        a.mov(rsp, InHole + 8);
        a.call(target);
        a.Label(ref target);
    }), ExceptionVector.PageFault, (ulong)InHole, lastInstruction: true);

    [Fact]
    public void Page_fault_on_an_inline_ret() => Run(EndingWith(a => { a.mov(rsp, InHole); a.ret(); }), ExceptionVector.PageFault, (ulong)InHole, lastInstruction: true);

    /// <summary>RET to a non-canonical address: #GP(0) with RSP not yet released (SDM vol.2 RET, 64-bit mode: "IF tempRIP is not canonical THEN #GP(0)").</summary>
    [Fact]
    public void General_protection_on_a_ret_to_a_non_canonical_target() => Run(EndingWith(a =>
    {
        a.mov(rdi, NonCanonical);
        a.push(rdi);
        a.ret();
    }), ExceptionVector.GeneralProtection, lastInstruction: true);

    /// <summary>The same block shape without the fault, in lockstep: the block ends on the inline load.</summary>
    [Fact]
    public void A_block_ending_on_an_inline_load_matches_the_interpreter()
    {
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            a.mov(rsi, (long)BareMetal.DataAddress);
            a.Label(ref top);
            for (int n = 0; n < BlockDecoder.MaxInstructions - 1; n++) a.add(ecx, n);
            a.mov(rdx, __qword_ptr[rsi]);
            a.add(__qword_ptr[rsi], rcx);
            a.jmp(top);
        });
        run.Run(40, dataBytes: 0x100);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    static void Run(Action<Assembler> program, byte vector, ulong? expectedCr2 = null, bool lastInstruction = false)
        => AssertSameFault(program, vector, expectedCr2, lastInstruction).Dispose();

    static BareMetal AssertSameFault(Action<Assembler> program, byte vector, ulong? expectedCr2 = null, bool lastInstruction = false)
    {
        using var reference = new BareMetal(program, new HoleTranslator(Hole, Hole + 0x1000));
        var tiered = new BareMetal(program, new HoleTranslator(Hole, Hole + 0x1000));
        while (reference.Interpreter.StepWithoutDelivery()) { }

        var block = DecodeAt(tiered);
        var compiled = BlockCompiler.Compile(block);
        tiered.Cpu.Pending = 0; // the executor enters compiled code only with nothing pending (Restart left ModeChanged)
        tiered.Cpu.CodeDelta = tiered.Cpu.Rip - block.DecodeRip;
        int done = compiled.Run(tiered.Cpu, long.MaxValue);

        Assert.True(reference.Cpu.Faulted);
        Assert.Equal(vector, reference.Cpu.PendingException.Vector);
        Assert.True(done < block.Instructions.Length);
        if (lastInstruction) Assert.Equal(block.Instructions.Length - 1, done);
        Assert.True(InlineForms.IsMemory(InlineForms.Classify(block.Instructions[done])), $"faulting instruction {block.Instructions[done]} is not an inline memory form");
        if (expectedCr2 is { } cr2) Assert.Equal(cr2, tiered.Cpu.Cr2);
        string diff = ArchState.Of(reference.Cpu).Diff(ArchState.Of(tiered.Cpu));
        Assert.True(diff.Length == 0, diff);
        var x = new byte[0x2000]; var y = new byte[0x2000];
        reference.Memory.ReadBytes(Hole - 0x1000, x);
        tiered.Memory.ReadBytes(Hole - 0x1000, y);
        Assert.True(x.AsSpan().SequenceEqual(y), "memory around the hole differs");
        reference.Memory.ReadBytes(BareMetal.DataAddress - 0x1000, x);
        tiered.Memory.ReadBytes(BareMetal.DataAddress - 0x1000, y);
        Assert.True(x.AsSpan().SequenceEqual(y), "memory around the data area differs");
        return tiered;
    }

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
