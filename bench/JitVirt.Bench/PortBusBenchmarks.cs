using BenchmarkDotNet.Attributes;
using JitVirt.Machine.Bus;

namespace JitVirt.Bench;

/// <summary>
/// Issue 5 acceptance 5: an unassigned port reads all ones and costs no more than an assigned one (a
/// Linux <c>reboot -f</c> without an i8042 polls port 64h over a million times). Both read through the
/// same <see cref="PortIoBus"/> populated like the PC's low ports; 1,000 reads per operation.
/// </summary>
public class PortBusBenchmarks
{
    const int Reads = 1000;
    PortIoBus _bus = null!;

    sealed class Register8 : IPortIoDevice
    {
        public uint Value = 0x1C;
        public uint ReadPort(ushort port, int size) => Value;
        public void WritePort(ushort port, int size, uint value) => Value = value;
    }

    [GlobalSetup]
    public void Setup()
    {
        _bus = new PortIoBus();
        // A PC-like map: PIC, PIT, port 61h, RTC, a UART, isa-debug-exit; 64h left unassigned.
        foreach (var (first, count) in new (ushort, int)[] { (0x20, 2), (0x40, 4), (0x61, 1), (0x70, 2), (0xA0, 2), (0xF4, 4), (0x3F8, 8), (0x510, 2), (0xCF8, 8) })
            _bus.Register(first, count, new Register8());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public uint AssignedPort()
    {
        uint x = 0;
        for (int i = 0; i < Reads; i++) x += _bus.Read(0x61, 1);
        return x;
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public uint UnassignedPort()
    {
        uint x = 0;
        for (int i = 0; i < Reads; i++) x += _bus.Read(0x64, 1);
        return x;
    }
}
