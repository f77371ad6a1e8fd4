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
    public void Divide_error_mid_block() => Run(Around(a => { a.xor(esi, esi); a.div(rsi); }), ExceptionVector.DivideError);

    [Fact]
    public void Page_fault_mid_block() => Run(Around(a => { a.mov(rsi, (long)Hole + 0x10); a.mov(__qword_ptr[rsi], rbx); }), ExceptionVector.PageFault);

    [Fact]
    public void Invalid_opcode_mid_block() => Run(Around(a => a.ud2()), ExceptionVector.InvalidOpcode);

    /// <summary>64-bit mode: a data reference through a non-canonical address is #GP(0) (SDM vol.3 §6.15, Interrupt 13; vol.1 §3.3.7.1).</summary>
    [Fact]
    public void General_protection_mid_block() => Run(Around(a => { a.mov(rsi, unchecked((long)0x8000_0000_0000_0010)); a.mov(rax, __qword_ptr[rsi]); }), ExceptionVector.GeneralProtection);

    /// <summary>The same four faults raised by the block's last instruction (its control transfer).</summary>
    [Fact]
    public void Page_fault_on_the_last_instruction() => Run(EndingWith(a => a.call(__qword_ptr[rsi]), (long)Hole + 0x20), ExceptionVector.PageFault, expectedCr2: Hole + 0x20);

    [Fact]
    public void General_protection_on_the_last_instruction() => Run(EndingWith(a => a.jmp(__qword_ptr[rsi]), unchecked((long)0x8000_0000_0000_0000)), ExceptionVector.GeneralProtection);

    /// <summary>#UD as the block's last instruction: UD2 ends the block (Iced marks it an exception-raising flow).</summary>
    [Fact]
    public void Invalid_opcode_on_the_last_instruction() => Run(EndingWith(a => a.ud2(), 0), ExceptionVector.InvalidOpcode);

    /// <summary>DIV with a zero divisor right before the block-ending jump.</summary>
    [Fact]
    public void Divide_error_on_the_instruction_before_the_exit() => Run(EndingWith(a => { a.div(rdi); a.jmp(__qword_ptr[rsi]); }, 0), ExceptionVector.DivideError);

    /// <summary>
    /// An 8-byte store whose last four bytes fall on a not-present page: #PF with CR2 = the first
    /// byte on that page (SDM vol.3 §5.7: CR2 holds the linear address that caused the fault), and
    /// no byte of the store written on the present page either.
    /// </summary>
    [Fact]
    public void Page_fault_on_a_page_crossing_store()
    {
        using var tiered = AssertSameFault(Around(a => { a.mov(rsi, (long)Hole - 4); a.mov(__qword_ptr[rsi], rbx); }), ExceptionVector.PageFault, expectedCr2: Hole);
        Assert.Equal(0, tiered.Memory.ReadByte(Hole - 4) | tiered.Memory.ReadByte(Hole - 1));
    }

    /// <summary>A page-crossing 8-byte load, second half not present.</summary>
    [Fact]
    public void Page_fault_on_a_page_crossing_load() => Run(Around(a => { a.mov(rsi, (long)Hole - 2); a.add(rbx, __qword_ptr[rsi]); }), ExceptionVector.PageFault, expectedCr2: Hole);

    /// <summary>Inline work, then <paramref name="terminator"/> as the block's end with RSI = <paramref name="rsiValue"/> (0: the data area) and RDI = 0.</summary>
    static Action<Assembler> EndingWith(Action<Assembler> terminator, long rsiValue) => a =>
    {
        a.mov(eax, 100);
        a.mov(rbx, 0x1234_5678_9ABC);
        a.add(rbx, rax);
        a.xor(edi, edi);
        a.mov(rsi, rsiValue == 0 ? (long)BareMetal.DataAddress : rsiValue);
        a.xor(edx, edx);
        a.mov(ecx, 7);
        a.sub(ecx, 9);
        terminator(a);
        a.hlt();
    };

    static void Run(Action<Assembler> program, byte vector, ulong? expectedCr2 = null) => AssertSameFault(program, vector, expectedCr2).Dispose();

    static BareMetal AssertSameFault(Action<Assembler> program, byte vector, ulong? expectedCr2 = null)
    {
        var reference = new BareMetal(program, new HoleTranslator(Hole, Hole + 0x1000));
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
        if (expectedCr2 is { } cr2) Assert.Equal(cr2, tiered.Cpu.Cr2);
        string diff = ArchState.Of(reference.Cpu).Diff(ArchState.Of(tiered.Cpu));
        Assert.True(diff.Length == 0, diff);
        var x = new byte[0x2000]; var y = new byte[0x2000];
        reference.Memory.ReadBytes(Hole - 0x1000, x);
        tiered.Memory.ReadBytes(Hole - 0x1000, y);
        Assert.True(x.AsSpan().SequenceEqual(y), "memory around the hole differs");
        reference.Dispose();
        return tiered;
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
