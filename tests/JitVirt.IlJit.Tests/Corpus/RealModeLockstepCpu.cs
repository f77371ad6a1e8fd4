using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.SingleStep;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// The 80286 single-step tests on two processors at once: one run by the interpreter, one by the
/// tiered executor at threshold 0, stepped a block at a time (<see cref="LockstepPair"/>) with the
/// architectural state compared at every region exit and the touched memory compared at the end.
/// Disagreements are counted (not thrown) so one run reports them all; the tiered processor's
/// result goes back to the runner, which checks it against the recorded 80286 outcome. Set-up and
/// read-back follow JitVirtRealModeCpu in the CPU tests.
/// </summary>
public sealed class RealModeLockstepCpu : IRealModeCpu, IDisposable
{
    readonly TestMachine _reference = new(RealModeSetup.AddressSpaceSize + 0x1_0000);
    readonly TestMachine _tiered = new(RealModeSetup.AddressSpaceSize + 0x1_0000);
    readonly TieredExecutor _executor;
    readonly LockstepPair _pair;
    readonly HashSet<ulong> _dirtyFrames = new();
    static readonly byte[] ZeroFrame = new byte[4096];

    static readonly (RegisterId Id, int Gpr)[] GprMap =
    {
        (RegisterId.Ax, Gpr.Rax), (RegisterId.Bx, Gpr.Rbx), (RegisterId.Cx, Gpr.Rcx), (RegisterId.Dx, Gpr.Rdx),
        (RegisterId.Sp, Gpr.Rsp), (RegisterId.Bp, Gpr.Rbp), (RegisterId.Si, Gpr.Rsi), (RegisterId.Di, Gpr.Rdi),
    };

    static readonly (RegisterId Id, int Segment)[] SegmentMap =
    {
        (RegisterId.Es, SegmentIndex.Es), (RegisterId.Cs, SegmentIndex.Cs), (RegisterId.Ss, SegmentIndex.Ss), (RegisterId.Ds, SegmentIndex.Ds),
    };

    public RealModeLockstepCpu()
    {
        _executor = new TieredExecutor(_tiered.Cpu, _tiered.Interpreter, threshold: 0);
        _pair = new LockstepPair(_reference.Cpu, _reference.Interpreter, _tiered.Cpu, _executor, _tiered.Interpreter);
    }

    public long Tests { get; private set; }
    public long Mismatches { get; private set; }
    public long CompiledEntries { get; private set; }
    public int BlocksCompiled => _executor.BlocksCompiled;
    public List<string> FirstMismatches { get; } = new();

    public RealModeResult Run(RealModeSetup setup)
    {
        CleanUp();
        Load(_reference, setup);
        Load(_tiered, setup);
        Tests++;
        string? mismatch = null;
        var stop = StopReason.BudgetExhausted;
        long retired = 0;
        while (retired < setup.InstructionLimit)
        {
            long before = _tiered.Cpu.InstructionsRetired;
            ulong rip = _tiered.Cpu.Rip;
            stop = _pair.Step(setup.InstructionLimit - retired, out string diff, out long budget, out bool compiled);
            if (compiled) CompiledEntries++;
            if (diff.Length != 0) { mismatch = $"{setup.Name}: from IP {rip:X} ({budget} instructions): {diff}"; break; }
            retired += Math.Max(1, _tiered.Cpu.InstructionsRetired - before);
            if (stop != StopReason.BudgetExhausted) break;
        }
        MarkStateFrames();
        if (mismatch is null)
        {
            var x = new byte[4096]; var y = new byte[4096];
            foreach (var f in _dirtyFrames)
            {
                if ((f << 12) >= _reference.Memory.RamSize) continue;
                _reference.Memory.ReadBytes(f << 12, x);
                _tiered.Memory.ReadBytes(f << 12, y);
                if (!x.AsSpan().SequenceEqual(y)) { mismatch = $"{setup.Name}: memory frame {f:X} differs"; break; }
            }
        }
        if (mismatch is not null)
        {
            Mismatches++;
            if (FirstMismatches.Count < 20) FirstMismatches.Add(mismatch);
        }
        var result = ReadRegisters(_tiered.Cpu);
        return stop switch
        {
            StopReason.Halted => RealModeResult.Ok(result, new Readback(_tiered.Memory)),
            StopReason.Shutdown => RealModeResult.Hung("shutdown (triple fault)", result),
            _ => RealModeResult.Hung($"stopped: {stop}", result),
        };
    }

    void Load(TestMachine machine, RealModeSetup setup)
    {
        var cpu = machine.Cpu;
        foreach (var b in setup.Memory)
        {
            machine.Memory.WriteByte(b.Address, b.Value);
            _dirtyFrames.Add(b.Address >> 12);
        }
        cpu.Reset();
        var r = setup.Registers;
        foreach (var (id, gpr) in GprMap) cpu.Gpr[gpr] = r[id];
        for (int s = 0; s < SegmentIndex.Count; s++) cpu.LoadRealModeSegment(s, 0);
        foreach (var (id, seg) in SegmentMap) cpu.LoadRealModeSegment(seg, r[id]);
        cpu.Rip = r[RegisterId.Ip];
        cpu.SetRflags(r[RegisterId.Flags]);
        cpu.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0x3FF };
    }

    static RegisterSet ReadRegisters(JitVirt.Cpu.Cpu cpu)
    {
        var result = new RegisterSet();
        foreach (var (id, gpr) in GprMap) result[id] = (ushort)cpu.Gpr[gpr];
        foreach (var (id, seg) in SegmentMap) result[id] = cpu.Segments[seg].Selector;
        result[RegisterId.Ip] = (ushort)cpu.Rip;
        result[RegisterId.Flags] = (ushort)cpu.GetRflags();
        return result;
    }

    /// <summary>Frames the instruction may have written besides its INIT bytes: the stack and the string destination (both machines).</summary>
    void MarkStateFrames()
    {
        foreach (var cpu in new[] { _reference.Cpu, _tiered.Cpu })
        {
            ulong ss = cpu.Segments[SegmentIndex.Ss].Base, es = cpu.Segments[SegmentIndex.Es].Base;
            ulong sp = cpu.Gpr[Gpr.Rsp] & 0xFFFF, di = cpu.Gpr[Gpr.Rdi] & 0xFFFF;
            for (long d = -2; d <= 1; d++)
            {
                _dirtyFrames.Add((ulong)((long)((ss + sp) >> 12) + d) & 0xFFF);
                _dirtyFrames.Add((ulong)((long)((es + di) >> 12) + d) & 0xFFF);
            }
        }
    }

    void CleanUp()
    {
        foreach (var f in _dirtyFrames)
        {
            if ((f << 12) >= _reference.Memory.RamSize) continue;
            _reference.Memory.WriteBytes(f << 12, ZeroFrame);
            _tiered.Memory.WriteBytes(f << 12, ZeroFrame);
        }
        _dirtyFrames.Clear();
    }

    public void Dispose() { _reference.Dispose(); _tiered.Dispose(); }

    sealed class Readback(PhysicalMemory memory) : IMemoryReadback
    {
        public byte ReadByte(uint linearAddress) => memory.ReadByte(linearAddress);
    }
}
