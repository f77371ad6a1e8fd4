using JitVirt.Cpu.Execution;
using JitVirt.Frontend;
using Xunit;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// One step of a lockstep run: the reference processor (interpreter only) and the tiered one
/// (threshold 0) each run for the length of the block at the tiered processor's RIP, so the
/// compiled body runs whole, and their architectural states are compared at that region exit.
/// </summary>
public sealed class LockstepPair(JitVirt.Cpu.Cpu reference, Interpreter referenceInterpreter, JitVirt.Cpu.Cpu tiered, TieredExecutor executor, Interpreter tieredInterpreter)
{
    public long Steps { get; private set; }

    /// <summary>Runs one step; <paramref name="diff"/> is empty when the states agree. Both stop reasons must agree.</summary>
    public StopReason Step(long maxInstructions, out string diff, out long budget, out bool compiledEntry)
    {
        // Decode the block at RIP now (when nothing is pending, as the executor would) to learn its length.
        DecodedBlock? block = tiered.Pending == 0 && !tiered.Halted ? tieredInterpreter.FetchBlock() : null;
        budget = Math.Min(maxInstructions, block?.Instructions.Length ?? 1);
        compiledEntry = block is not null && budget == block.Instructions.Length;
        var a = referenceInterpreter.Run(budget);
        var b = executor.Run(budget);
        Steps++;
        diff = ArchState.Of(reference).Diff(ArchState.Of(tiered));
        if (a != b) diff += $"; stop {a} vs {b}";
        if (diff.Length != 0 && block is not null)
            diff += "\nblock:\n" + string.Join("\n", block.Instructions.Select(i => $"{i.IP:X} {i}"));
        return b;
    }

    /// <summary>
    /// Runs both for a fixed <paramref name="budget"/>, so compiled blocks chain into each other
    /// (a chained run only returns at a pending event or where the budget no longer covers the next
    /// block), and compares the states where the runs return.
    /// </summary>
    public StopReason StepBudget(long budget, out string diff)
    {
        var a = referenceInterpreter.Run(budget);
        var b = executor.Run(budget);
        Steps++;
        diff = ArchState.Of(reference).Diff(ArchState.Of(tiered));
        if (a != b) diff += $"; stop {a} vs {b}";
        return b;
    }

    /// <summary>Steps until a stop other than the budget, or <paramref name="maxInstructions"/>; asserts agreement at every step.</summary>
    public StopReason RunToStop(long maxInstructions, Func<string>? context = null)
    {
        long end = reference.InstructionsRetired + maxInstructions;
        while (true)
        {
            long left = end - reference.InstructionsRetired;
            if (left <= 0) return StopReason.BudgetExhausted;
            ulong rip = tiered.Rip;
            var stop = Step(left, out string diff, out long budget, out _);
            Assert.True(diff.Length == 0, $"from RIP {rip:X} ({budget} instructions): {diff} {context?.Invoke()}");
            if (stop != StopReason.BudgetExhausted) return stop;
        }
    }
}
