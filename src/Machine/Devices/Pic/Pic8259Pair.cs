using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Pic;

// Departures: the ISA IRQ2 pin is ORed with the slave's INT into master IR2 (as QEMU does) rather than
// rerouted to IRQ9. A cascaded slave INT is re-evaluated after every INTA so the edge-triggered master
// IR2 sees a fresh rising edge for a slave request still pending after the acknowledge.

/// <summary>
/// The PC/AT interrupt controller pair: master at 20h/21h, slave at A0h/A1h cascaded on master IR2,
/// and the PIIX edge/level control registers (ELCR) at 4D0h/4D1h. The CPU side polls
/// <see cref="HasInterrupt"/> (or listens to <see cref="IntOutputChanged"/>) and calls <see cref="Acknowledge"/>.
/// </summary>
public sealed class Pic8259Pair : IPortIoDevice
{
    public const ushort MasterCommandPort = 0x20; // IBM PC/AT Technical Reference, I/O address map: 8259 #1 020h-03Fh
    public const ushort MasterDataPort = 0x21;
    public const ushort SlaveCommandPort = 0xA0; // 8259 #2 0A0h-0BFh
    public const ushort SlaveDataPort = 0xA1;
    public const ushort ElcrMasterPort = 0x4D0; // PIIX4 datasheet, "ELCR1—Edge/Level Control Register 1" (4D0h)
    public const ushort ElcrSlavePort = 0x4D1; // "ELCR2" (4D1h)
    public const int CascadeInput = 2; // PC/AT: slave INT on master IR2
    public const int IrqCount = 16;
    private const byte ElcrMasterWritable = 0xF8; // PIIX4 ELCR1: IRQ0-2 bits reserved, must be 0 (edge)
    private const byte ElcrSlaveWritable = 0xDE; // PIIX4 ELCR2: IRQ8 and IRQ13 bits reserved

    private readonly PicInputLine[] _lines = new PicInputLine[IrqCount];
    private bool _irq2PinLevel;
    private bool _intOutput;

    public Pic8259Pair()
    {
        for (int irq = 0; irq < IrqCount; irq++) _lines[irq] = new PicInputLine(this, irq);
    }

    public Pic8259 Master { get; } = new(ElcrMasterWritable);
    public Pic8259 Slave { get; } = new(ElcrSlaveWritable);

    /// <summary>The master's INT output (to the CPU INTR pin, or a local APIC LINT0 in ExtINT mode).</summary>
    public bool HasInterrupt => _intOutput;

    /// <summary>Raised whenever the master's INT output changes level.</summary>
    public event Action<bool>? IntOutputChanged;

    /// <summary>The input wire for ISA IRQ <paramref name="irq"/> (0-15).</summary>
    public IInterruptLine GetLine(int irq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(irq);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(irq, IrqCount);
        return _lines[irq];
    }

    public void SetIrq(int irq, bool level)
    {
        if (irq >= 8) Slave.SetInput(irq - 8, level);
        else if (irq == CascadeInput) _irq2PinLevel = level;
        else Master.SetInput(irq, level);
        Update();
    }

    /// <summary>The INTA cycle: returns the vector the controllers put on the bus.</summary>
    public int Acknowledge()
    {
        int input = Master.Acknowledge(out bool spurious);
        int vector;
        if (!spurious && input == CascadeInput && Master.IsCascadeInput(input))
        {
            int slaveInput = Slave.Acknowledge(out _); // a withdrawn slave request yields IR7 of the slave (IRQ15)
            vector = Slave.Vector(slaveInput);
            Master.SetInput(CascadeInput, false);
        }
        else
        {
            vector = Master.Vector(input);
        }
        Update();
        return vector;
    }

    public uint ReadPort(ushort port, int size) => port switch
    {
        MasterCommandPort => ReadCommand(Master),
        MasterDataPort => Master.ReadDataPort(),
        SlaveCommandPort => ReadCommand(Slave),
        SlaveDataPort => Slave.ReadDataPort(),
        ElcrMasterPort => Master.State.EdgeLevelControl,
        ElcrSlavePort => Slave.State.EdgeLevelControl,
        _ => AccessSize.PortMask(size),
    };

    public void WritePort(ushort port, int size, uint value)
    {
        byte b = (byte)value;
        switch (port)
        {
            case MasterCommandPort: Master.WriteCommandPort(b); break;
            case MasterDataPort: Master.WriteDataPort(b); break;
            case SlaveCommandPort: Slave.WriteCommandPort(b); break;
            case SlaveDataPort: Slave.WriteDataPort(b); break;
            case ElcrMasterPort: Master.WriteEdgeLevelControl(b); break;
            case ElcrSlavePort: Slave.WriteEdgeLevelControl(b); break;
            default: return;
        }
        Update();
    }

    private uint ReadCommand(Pic8259 chip)
    {
        uint value = chip.ReadCommandPort();
        Update(); // a poll read acknowledges
        return value;
    }

    private void Update()
    {
        bool cascadeLevel = Slave.Interrupt || _irq2PinLevel;
        if (cascadeLevel != ((Master.State.InputLevels & (1 << CascadeInput)) != 0))
            Master.SetInput(CascadeInput, cascadeLevel);
        bool output = Master.Interrupt;
        if (output == _intOutput) return;
        _intOutput = output;
        IntOutputChanged?.Invoke(output);
    }
}
