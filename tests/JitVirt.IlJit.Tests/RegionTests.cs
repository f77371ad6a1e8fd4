using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using Gpr = JitVirt.Cpu.State.Gpr;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Regions (a hot block and the blocks it reaches on its page, one body with IL branches between
/// members): a fault deep in a region, budget stops and exit requests inside a region loop, code
/// that rewrites another member, and a region whose member is also entered from outside, each
/// against the interpreter.
/// </summary>
public sealed class RegionTests
{
    [Fact]
    public void A_fault_in_the_third_block_of_a_region_leaves_the_interpreters_state()
    {
        Action<Assembler> program = a =>
        {
            var second = a.CreateLabel();
            var third = a.CreateLabel();
            a.mov(eax, 100);
            a.mov(rbx, 0x1234_5678_9ABC);
            a.add(rbx, rax);
            a.jmp(second);
            a.Label(ref second);
            a.xor(edx, edx);
            a.mov(ecx, 7);
            a.sub(ecx, 9);        // CF=1, SF=1, ZF=0
            a.cmp(eax, 100);      // ZF=1: the JE below is taken
            a.je(third);
            a.hlt();
            a.Label(ref third);
            a.lea(rdi, __[rbx + rax * 2 + 8]);
            a.add(ecx, 3);        // flags live at the fault: ECX = 1, CF=1 (−2 + 3 carries out)
            a.xor(esi, esi);
            a.div(rsi);           // #DE (SDM vol.2 DIV: divisor 0)
            a.inc(rax);
            a.hlt();
        };
        using var reference = new BareMetal(program);
        using var tiered = new BareMetal(program);
        while (reference.Interpreter.StepWithoutDelivery()) { }

        // HLT does not end a decoded block (it is not a control transfer), so the blocks after the JE
        // run on into the zeroed rest of the page up to the decoder's 64-instruction cap: room for them.
        using var executor = new TieredExecutor(tiered.Cpu, tiered.Interpreter, threshold: 0) { MaxRegionInstructions = 256 };
        var head = tiered.Interpreter.FetchBlock()!;
        var compiled = executor.GetOrCompile(head);
        Assert.True(compiled.Region.Blocks.Length >= 3, $"{compiled.Region.Blocks.Length} member blocks");
        tiered.Cpu.Pending = 0; // the executor enters compiled code only with nothing pending (Restart left ModeChanged)
        tiered.Cpu.CodeDelta = tiered.Cpu.Rip - head.DecodeRip;
        int done = compiled.Run(tiered.Cpu, long.MaxValue);

        Assert.True(reference.Cpu.Faulted);
        Assert.Equal(ExceptionVector.DivideError, reference.Cpu.PendingException.Vector);
        Assert.Equal(4 + 5 + 3, reference.Cpu.InstructionsRetired); // two whole blocks and three of the third
        Assert.Equal(3, done); // DIV is the third block's fourth instruction
        Assert.Equal(1ul, reference.Cpu.Gpr[Gpr.Rcx]);
        string diff = ArchState.Of(reference.Cpu).Diff(ArchState.Of(tiered.Cpu));
        Assert.True(diff.Length == 0, diff);
    }

    /// <summary>INC EAX; TEST EAX,1; JZ even; ADD EBX,EAX; JMP top; even: XOR ECX,EAX; JMP top — three blocks, one region.</summary>
    static void ThreeBlockLoop(Assembler a)
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

    /// <summary>EAX after <paramref name="instructions"/> of <see cref="ThreeBlockLoop"/>: 5 per iteration (3 + 2 either way).</summary>
    static ulong IncsAfter(long instructions) => (ulong)((instructions + 4) / 5);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(333)]
    public void A_region_loop_stops_at_the_interpreters_exact_budget(long budget)
    {
        using var run = new Lockstep(ThreeBlockLoop, executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { Chaining = false });
        Assert.Equal(StopReason.BudgetExhausted, run.RunChunks(60, budget));
        long total = 60 * budget;
        Assert.Equal(total, run.Tiered.Cpu.InstructionsRetired);
        Assert.Equal(IncsAfter(total), run.Tiered.Cpu.Gpr[Gpr.Rax]);
        Assert.True(run.Executor.RegionBlocksCompiled > run.Executor.BlocksCompiled, "some body holds several blocks");
    }

    /// <summary>
    /// With chaining off, every return from a body goes through the dispatcher; a loop inside one
    /// region does not return, so a long run enters compiled code only a few times.
    /// </summary>
    [Fact]
    public void A_loop_inside_a_region_runs_without_returning_to_the_dispatcher()
    {
        using var m = new BareMetal(ThreeBlockLoop);
        using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Chaining = false };
        tier.Run(100);
        long entries = tier.CompiledBlockRuns;
        Assert.Equal(StopReason.BudgetExhausted, tier.Run(100_000));
        Assert.InRange(tier.CompiledBlockRuns - entries, 1, 3); // the loop's entry, and the budget's tail
        Assert.Equal(IncsAfter(100_100), m.Cpu.Gpr[Gpr.Rax]);
    }

    /// <summary>
    /// Another thread asks the processor to return (Cpu.RequestExit, as the machine's watchdog and
    /// interrupt lines set Pending): an endless loop inside one region must see it at a back edge,
    /// and stop at a block boundary with the state the interpreter has after as many instructions.
    /// </summary>
    [Fact]
    public void An_exit_request_from_another_thread_stops_an_endless_region_loop()
    {
        using var m = new BareMetal(ThreeBlockLoop);
        using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Chaining = false };
        tier.Run(100);
        var stop = StopReason.BudgetExhausted;
        var runner = new Thread(() => stop = tier.Run(1L << 50));
        runner.Start();
        // A liveness bound, not a timing: without the test at the loop's edges the run never returns.
        bool returned = false;
        for (int k = 0; k < 3000 && !returned; k++)
        {
            m.Cpu.RequestExit();
            returned = runner.Join(20);
        }
        Assert.True(returned, "the region loop never looked at Pending");
        Assert.Equal(StopReason.ExitRequested, stop);

        long retired = m.Cpu.InstructionsRetired;
        using var reference = new BareMetal(ThreeBlockLoop);
        Assert.Equal(StopReason.BudgetExhausted, reference.Interpreter.Run(retired));
        m.Cpu.Pending = 0;
        reference.Cpu.Pending = 0;
        string diff = ArchState.Of(reference.Cpu).Diff(ArchState.Of(m.Cpu));
        Assert.True(diff.Length == 0, diff);
        Assert.Equal(IncsAfter(retired), m.Cpu.Gpr[Gpr.Rax]);
    }

    /// <summary>
    /// The loop's first block patches the imm32 of <c>MOV EAX, imm32</c> in another member of the
    /// same region (reached by JMP) with ECX, from the sixth iteration on (before that the store
    /// goes to the data area, so the region runs compiled and unpatched first). Every pass adds
    /// EAX to EBX: 5 × 100 + 5 + 4 + 3 + 2 + 1.
    /// </summary>
    [Theory, InlineData(3), InlineData(50), InlineData(1000)]
    public void A_store_into_another_member_of_the_region_is_seen_next_pass(long budget)
    {
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            var second = a.CreateLabel();
            var patch = a.CreateLabel();
            a.xor(ebx, ebx);
            a.mov(ecx, 10);
            a.Label(ref top);
            a.mov(rdi, (long)BareMetal.DataAddress);
            a.lea(rdx, __[patch]);
            a.cmp(ecx, 5);
            a.cmovbe(rdi, rdx);
            a.mov(__byte_ptr[rdi + 1], cl); // imm32 low byte ← ECX
            a.jmp(second);
            a.Label(ref second);
            a.nop();
            a.Label(ref patch);
            a.mov(eax, 100);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, run.RunChunks(1000, budget));
        Assert.Equal(5 * 100ul + 5 + 4 + 3 + 2 + 1, run.Tiered.Cpu.Gpr[Gpr.Rbx]);
    }

    /// <summary>
    /// A loop (head H, member M) runs compiled as one region; afterwards the code jumps into M
    /// from outside. M is not a head, so it is not entered through H's body: it becomes the head of
    /// a region of its own, and both runs agree with the interpreter.
    /// </summary>
    [Fact]
    public void A_member_entered_from_outside_gets_a_region_of_its_own()
    {
        using var run = new Lockstep(a =>
        {
            var h = a.CreateLabel();
            var mid = a.CreateLabel();
            var after = a.CreateLabel();
            a.xor(eax, eax);
            a.xor(ebx, ebx);
            a.xor(edx, edx);          // EDX holds the processor signature after reset
            a.mov(ecx, 50);
            a.Label(ref h);
            a.add(eax, 3);
            a.cmp(eax, 10_000);
            a.jl(mid);
            a.hlt();
            a.Label(ref mid);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(h);
            a.test(edx, edx);
            a.jnz(after);
            a.mov(edx, 1);
            a.mov(ecx, 7);
            a.jmp(mid);               // into the middle of the loop
            a.Label(ref after);
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, run.RunChunks(1000, 37));
        // EAX: 3 per pass of H; passes: 50, then 6 more (entered at M with ECX = 7: M, then H six times).
        Assert.Equal(3ul * 56, run.Tiered.Cpu.Gpr[Gpr.Rax]);
        ulong sum = 0, value = 0;
        for (int k = 0; k < 50; k++) { value += 3; sum += value; }
        sum += value;
        for (int k = 0; k < 6; k++) { value += 3; sum += value; }
        Assert.Equal(sum, run.Tiered.Cpu.Gpr[Gpr.Rbx]);

        // M (ADD EBX, EAX; DEC ECX; JNZ H) is a member of some other body's region, and heads a body of its own.
        static bool IsM(DecodedBlock b) => b.Instructions[0].Mnemonic == Mnemonic.Add && b.Instructions[0].Op0Register == Register.EBX;
        var bodies = run.Executor.InstalledBodies.ToList();
        Assert.Contains(bodies, b => !IsM(b.Block) && b.Region.Blocks.Any(IsM));
        Assert.Contains(bodies, b => IsM(b.Block));
    }
}
