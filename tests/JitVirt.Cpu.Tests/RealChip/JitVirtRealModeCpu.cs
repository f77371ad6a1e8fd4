using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.SingleStep;

namespace JitVirt.Cpu.Tests.RealChip;

/// <summary>
/// Runs 80286 single-instruction tests on JitVirt's interpreter: one processor with 16 MiB of
/// flat RAM (the 286's 24 address lines, A20 enabled) reused across tests; after each test the
/// frames it could have touched are zeroed again.
/// </summary>
public sealed class JitVirtRealModeCpu : IRealModeCpu, IDisposable
{
    readonly TestMachine _machine = new(RealModeSetup.AddressSpaceSize + 0x1_0000);
    readonly HashSet<ulong> _dirtyFrames = new();
    static readonly byte[] ZeroFrame = new byte[4096];

    static readonly (RegisterId Id, int Gpr)[] GprMap =
    {
        (RegisterId.Ax, State.Gpr.Rax), (RegisterId.Bx, State.Gpr.Rbx), (RegisterId.Cx, State.Gpr.Rcx), (RegisterId.Dx, State.Gpr.Rdx),
        (RegisterId.Sp, State.Gpr.Rsp), (RegisterId.Bp, State.Gpr.Rbp), (RegisterId.Si, State.Gpr.Rsi), (RegisterId.Di, State.Gpr.Rdi),
    };

    static readonly (RegisterId Id, int Segment)[] SegmentMap =
    {
        (RegisterId.Es, SegmentIndex.Es), (RegisterId.Cs, SegmentIndex.Cs), (RegisterId.Ss, SegmentIndex.Ss), (RegisterId.Ds, SegmentIndex.Ds),
    };

    public RealModeResult Run(RealModeSetup setup)
    {
        CleanUp();
        var cpu = _machine.Cpu;
        var mem = _machine.Memory;
        foreach (var b in setup.Memory)
        {
            mem.WriteByte(b.Address, b.Value);
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

        var stop = _machine.Interpreter.Run(setup.InstructionLimit);
        MarkStateFrames();
        var result = ReadRegisters();
        return stop switch
        {
            StopReason.Halted => RealModeResult.Ok(result, new Readback(mem)),
            StopReason.Shutdown => RealModeResult.Hung("shutdown (triple fault)", result),
            _ => RealModeResult.Hung($"stopped: {stop}", result),
        };
    }

    RegisterSet ReadRegisters()
    {
        var cpu = _machine.Cpu;
        var result = new RegisterSet();
        foreach (var (id, gpr) in GprMap) result[id] = (ushort)cpu.Gpr[gpr];
        foreach (var (id, seg) in SegmentMap) result[id] = cpu.Segments[seg].Selector;
        result[RegisterId.Ip] = (ushort)cpu.Rip;
        result[RegisterId.Flags] = (ushort)cpu.GetRflags();
        return result;
    }

    /// <summary>Frames the instruction may have written besides its INIT bytes: the stack and the string destination.</summary>
    void MarkStateFrames()
    {
        var cpu = _machine.Cpu;
        ulong ss = cpu.Segments[SegmentIndex.Ss].Base, es = cpu.Segments[SegmentIndex.Es].Base;
        ulong sp = cpu.Gpr[State.Gpr.Rsp] & 0xFFFF, di = cpu.Gpr[State.Gpr.Rdi] & 0xFFFF;
        for (long d = -2; d <= 1; d++)
        {
            _dirtyFrames.Add((ulong)((long)((ss + sp) >> 12) + d) & 0xFFF);
            _dirtyFrames.Add((ulong)((long)((es + di) >> 12) + d) & 0xFFF);
        }
    }

    void CleanUp()
    {
        foreach (var f in _dirtyFrames)
            if ((f << 12) < _machine.Memory.RamSize) _machine.Memory.WriteBytes(f << 12, ZeroFrame);
        _dirtyFrames.Clear();
    }

    public void Dispose() => _machine.Dispose();

    sealed class Readback(PhysicalMemory memory) : IMemoryReadback
    {
        public byte ReadByte(uint linearAddress) => memory.ReadByte(linearAddress);
    }
}
