using BenchmarkDotNet.Attributes;
using JitVirt.Machine.Pc;

namespace JitVirt.Bench;

/// <summary>
/// Issue 5 acceptance 5: an unassigned port reads all ones and costs no more than an assigned one (a
/// Linux <c>reboot -f</c> without an i8042 polls port 64h over a million times). Both read through the
/// port bus of a real <see cref="PcMachine"/>: port 61h (the system control port B device) and port
/// 2F8h (COM2, which the machine does not have); 1,000 reads per operation.
/// </summary>
public class PortBusBenchmarks
{
    const int Reads = 1000;
    PcMachine _machine = null!;

    [GlobalSetup]
    public void Setup() => _machine = new PcMachine(new MachineConfig { Serial = OutputTarget.None });

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public uint AssignedPort()
    {
        uint x = 0;
        var ports = _machine.Ports;
        for (int i = 0; i < Reads; i++) x += ports.Read(0x61, 1);
        return x;
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public uint UnassignedPort()
    {
        uint x = 0;
        var ports = _machine.Ports;
        for (int i = 0; i < Reads; i++) x += ports.Read(0x2F8, 1);
        return x;
    }
}
