using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.IlJit;
using JitVirt.IlJit.Tests;
using Xunit;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>
/// The IL tier's stand-in for the CPU tests' TestMachine (same name, namespace and members, so the
/// CPU tests' system guests — tests/JitVirt.Cpu.Tests/Guests, compiled into this project as they
/// are — build on it unchanged). Building is unchanged: everything goes into this machine.
/// <see cref="Run"/> is where it differs: it copies RAM and the start state into a twin processor
/// run by the tiered executor at threshold 0, runs both in lockstep a block at a time with the
/// architectural state compared at every region exit (<see cref="LockstepPair"/>), and asserts
/// that both wrote the same port traffic. The guests' own assertions then check the outcome.
/// </summary>
public sealed class TestMachine : IDisposable
{
    readonly IAddressTranslator? _translator;
    (ushort Cs, ushort Ip)? _realModeStart;

    public PhysicalMemory Memory { get; }
    public Cpu Cpu { get; }
    public Interpreter Interpreter { get; }
    public RecordingPorts Ports { get; } = new();

    public TestMachine(ulong ramBytes = 16 << 20, IAddressTranslator? translator = null)
    {
        _translator = translator;
        Memory = new PhysicalMemory(ramBytes);
        Cpu = new Cpu(Memory, translator ?? new UnpagedTranslator(), Ports);
        Interpreter = new Interpreter(Cpu);
    }

    public byte[] Load(int bitness, ulong address, Action<Assembler> emit) => GuestCode.AssembleInto(Memory, bitness, address, emit);

    public void StartRealMode(ushort cs, ushort ip)
    {
        _realModeStart = (cs, ip);
        RealModeStart.Apply(Cpu, cs, ip);
    }

    /// <summary>Runs this machine (interpreter) and a tiered twin in lockstep; returns the common stop reason.</summary>
    public StopReason Run(long maxInstructions = 10_000_000)
    {
        Assert.True(_realModeStart is not null, "lockstep guests start from StartRealMode");
        using var twinMemory = new PhysicalMemory(Memory.RamSize);
        twinMemory.WriteBytes(0, Memory.RamSpan(0, checked((int)Memory.RamSize)));
        var twinPorts = new RecordingPorts();
        foreach (var (port, value) in Ports.ReadValues) twinPorts.ReadValues[port] = value;
        IAddressTranslator twinTranslator = _translator switch
        {
            null => new UnpagedTranslator(),
            JitVirt.Mmu.Walker.GuestPageWalker w => new JitVirt.Mmu.Walker.GuestPageWalker(w.MaxPhysicalAddress),
            var t => (IAddressTranslator)Activator.CreateInstance(t.GetType())!,
        };
        var twin = new Cpu(twinMemory, twinTranslator, twinPorts);
        var twinInterpreter = new Interpreter(twin);
        var executor = new TieredExecutor(twin, twinInterpreter, threshold: 0);
        RealModeStart.Apply(twin, _realModeStart!.Value.Cs, _realModeStart.Value.Ip);

        var pair = new LockstepPair(Cpu, Interpreter, twin, executor, twinInterpreter);
        var stop = pair.RunToStop(maxInstructions, () => $"console so far: {Ports.DebugConsole}");
        Assert.Equal(Ports.DebugConsole.ToString(), twinPorts.DebugConsole.ToString());
        Assert.Equal(Ports.Log, twinPorts.Log);
        Assert.True(executor.BlocksCompiled > 0, "the twin ran compiled code");
        return stop;
    }

    public string Console => Ports.DebugConsole.ToString();

    public void Dispose() => Memory.Dispose();
}
