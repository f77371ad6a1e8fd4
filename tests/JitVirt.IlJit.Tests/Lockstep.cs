using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using Xunit;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Two identical machines, one run by the interpreter and one by the tiered executor at
/// threshold 0 (every block compiled on its first entry). Each step runs both for the length of
/// the block at RIP (so the compiled body runs whole) and compares the architectural state.
/// </summary>
public sealed class Lockstep : IDisposable
{
    readonly LockstepPair _pair;

    public BareMetal Reference { get; }
    public BareMetal Tiered { get; }
    public TieredExecutor Executor { get; }

    public Lockstep(Action<Assembler> program, Func<IAddressTranslator>? translator = null, long threshold = 0,
        Func<JitVirt.Cpu.Cpu, Interpreter, TieredExecutor>? executor = null)
    {
        Reference = new BareMetal(program, translator?.Invoke());
        Tiered = new BareMetal(program, translator?.Invoke());
        Executor = executor?.Invoke(Tiered.Cpu, Tiered.Interpreter) ?? new TieredExecutor(Tiered.Cpu, Tiered.Interpreter, threshold);
        _pair = new LockstepPair(Reference.Cpu, Reference.Interpreter, Tiered.Cpu, Executor, Tiered.Interpreter);
    }

    public void SetRegisters(Action<JitVirt.Cpu.Cpu> set) { set(Reference.Cpu); set(Tiered.Cpu); }

    /// <summary>Runs up to <paramref name="steps"/> block steps, asserting equal state after each; returns the stop reason of the last.</summary>
    public StopReason Run(int steps, ulong dataBytes = 0)
    {
        var stop = StopReason.BudgetExhausted;
        for (int s = 0; s < steps; s++)
        {
            ulong startRip = Tiered.Cpu.Rip;
            stop = _pair.Step(long.MaxValue, out string diff, out long budget, out bool compiled);
            Assert.True(diff.Length == 0, $"step {s} (from RIP {startRip:X}, {budget} instructions, compiled: {compiled}) to RIP {Reference.Cpu.Rip:X}: {diff}\n{Disassemble(startRip, (int)budget)}");
            if (dataBytes > 0)
            {
                var x = new byte[dataBytes]; var y = new byte[dataBytes];
                Reference.Memory.ReadBytes(BareMetal.DataAddress, x);
                Tiered.Memory.ReadBytes(BareMetal.DataAddress, y);
                Assert.True(x.AsSpan().SequenceEqual(y), $"step {s}: data differs");
            }
            if (stop != StopReason.BudgetExhausted) break;
        }
        return stop;
    }

    /// <summary>Runs <paramref name="chunks"/> runs of <paramref name="budget"/> instructions each (blocks chain within a run), asserting equal state after each.</summary>
    public StopReason RunChunks(int chunks, long budget, ulong dataBytes = 0)
    {
        var stop = StopReason.BudgetExhausted;
        for (int s = 0; s < chunks; s++)
        {
            ulong startRip = Tiered.Cpu.Rip;
            stop = _pair.StepBudget(budget, out string diff);
            Assert.True(diff.Length == 0, $"run {s} (from RIP {startRip:X}, budget {budget}) to RIP {Reference.Cpu.Rip:X}: {diff}");
            if (dataBytes > 0)
            {
                var x = new byte[dataBytes]; var y = new byte[dataBytes];
                Reference.Memory.ReadBytes(BareMetal.DataAddress, x);
                Tiered.Memory.ReadBytes(BareMetal.DataAddress, y);
                Assert.True(x.AsSpan().SequenceEqual(y), $"run {s}: data differs");
            }
            if (stop != StopReason.BudgetExhausted) break;
        }
        return stop;
    }

    string Disassemble(ulong rip, int count)
    {
        if (rip < BareMetal.CodeAddress || rip - BareMetal.CodeAddress >= (ulong)Reference.Code.Length) return "";
        var d = Decoder.Create(64, Reference.Code.AsSpan((int)(rip - BareMetal.CodeAddress)).ToArray());
        d.IP = rip;
        var sb = new System.Text.StringBuilder();
        for (int k = 0; k < count; k++) { d.Decode(out var ins); sb.AppendLine($"{ins.IP:X} {ins}"); }
        return sb.ToString();
    }

    /// <summary>
    /// Every ordered pair (x, y) of <paramref name="values"/> as two quadwords, pair after pair from
    /// BareMetal.DataAddress, in both machines' memory (the operand table of the operand-pair tests).
    /// </summary>
    public void WriteOperandPairs(IReadOnlyList<ulong> values)
    {
        foreach (var m in new[] { Reference, Tiered })
        {
            ulong at = BareMetal.DataAddress;
            foreach (ulong x in values)
                foreach (ulong y in values)
                {
                    m.Memory.Write(at, 8, x);
                    m.Memory.Write(at + 8, 8, y);
                    at += 16;
                }
        }
    }

    /// <summary>
    /// The operand-pair tests' program around <paramref name="body"/>: RSI walks the pair table
    /// (<see cref="WriteOperandPairs"/>), <paramref name="counter"/> counts <paramref name="pairs"/>
    /// down, R8 and R9 start at 0 for the body's checksums; the body runs once per pair and must keep
    /// RSI and the counter. HLT at the end.
    /// </summary>
    public static void OperandPairLoop(Assembler a, int pairs, AssemblerRegister32 counter, Action<Assembler> body)
    {
        var top = a.CreateLabel();
        a.mov(AssemblerRegisters.rsi, (long)BareMetal.DataAddress);
        a.mov(counter, pairs);
        a.xor(AssemblerRegisters.r8d, AssemblerRegisters.r8d);
        a.xor(AssemblerRegisters.r9d, AssemblerRegisters.r9d);
        a.Label(ref top);
        body(a);
        a.add(AssemblerRegisters.rsi, 16);
        a.dec(counter);
        a.jnz(top);
        a.hlt();
    }

    public void Dispose() { Executor.Dispose(); Reference.Dispose(); Tiered.Dispose(); }
}
