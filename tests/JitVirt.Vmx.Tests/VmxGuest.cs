using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.TestGuests;

namespace JitVirt.Vmx.Tests;

/// <summary>Port I/O test double: records every access, answers IN with a fixed pattern.</summary>
public sealed class RecordingPorts : IPortIo
{
    public readonly List<(ushort Port, int Size, uint Value, bool IsIn)> Accesses = new();
    public uint InValue = 0xA5A5_A5A5;
    public uint In(ushort port, int size) { uint v = size == 4 ? InValue : InValue & ((1u << (size * 8)) - 1); Accesses.Add((port, size, v, true)); return v; }
    public void Out(ushort port, int size, uint value) => Accesses.Add((port, size, value, false));
}

/// <summary>An interrupt controller test double: one vector waits until acknowledged.</summary>
public sealed class TestInterruptSource : IInterruptSource
{
    public byte? Vector;
    public bool Nmi;
    public bool HasPendingInterrupt => Vector.HasValue;
    public byte AcknowledgeInterrupt() { byte v = Vector!.Value; Vector = null; return v; }
    public bool HasPendingNmi => Nmi;
    public void AcknowledgeNmi() => Nmi = false;
}

/// <summary>Identity translation with one not-present linear range (#PF with P = 0, W/R per access: SDM vol.3 §5.7).</summary>
public sealed class HoleTranslator(ulong holeStart, ulong holeEnd) : IAddressTranslator
{
    public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = kind == AccessKind.Write ? 2u : 0u;
        return linear < holeStart || linear >= holeEnd;
    }
    public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
}

/// <summary>
/// A 64-bit bare-metal guest (<see cref="BareMetal"/>) under the VMX front end over the
/// interpreter, with its port I/O recorded and every VM exit captured.
/// </summary>
public sealed class VmxGuest : IDisposable
{
    public BareMetal Machine { get; }
    public VmxFrontEnd Vmx { get; }
    public RecordingPorts Ports { get; } = new();
    public List<VmxExitRecord> Exits { get; } = new();
    public JitVirt.Cpu.Cpu Cpu => Machine.Cpu;

    public VmxGuest(Action<Assembler> program, IAddressTranslator? translator = null, bool vpid = false, Action<JitVirt.Cpu.Cpu>? setup = null,
        Func<BareMetal, IExecutor>? executor = null)
    {
        Machine = new BareMetal(program, translator);
        Machine.Cpu.Io = Ports;
        setup?.Invoke(Machine.Cpu);
        Vmx = new VmxFrontEnd(Machine.Cpu, executor?.Invoke(Machine) ?? Machine.Interpreter) { UseVpid = vpid };
        Vmx.ExitObserved = Exits.Add;
        Vmx.Reset();
    }

    /// <summary>Changes a VMCS field between VM exits, as a VMM would (asserts VMsucceed).</summary>
    public void Vmwrite(uint field, ulong value)
    {
        var status = Vmx.Hardware.Vmwrite(field, value);
        if (status != VmxStatus.Succeed) throw new InvalidOperationException($"VMWRITE {field:X} failed: {status}");
    }

    public ulong Vmread(uint field) { Vmx.Hardware.Vmread(field, out ulong v); return v; }

    public void SetProcControl(uint bit, bool on)
    {
        ulong proc = Vmread(VmcsField.ProcessorBasedControls);
        Vmwrite(VmcsField.ProcessorBasedControls, on ? proc | bit : proc & ~(ulong)bit);
    }

    public StopReason Run(long budget = 100_000) => Vmx.Run(budget);

    /// <summary>The address where the code of the label landed (the program is assembled at <see cref="BareMetal.CodeAddress"/>).</summary>
    public static byte[] Encode(int bitness, Action<Assembler> emit)
    {
        var a = new Assembler(bitness);
        emit(a);
        var w = new Writer();
        a.Assemble(w, 0);
        return w.Bytes.ToArray();
    }

    sealed class Writer : CodeWriter { public readonly List<byte> Bytes = new(); public override void WriteByte(byte value) => Bytes.Add(value); }

    public void Dispose() => Machine.Dispose();
}
