using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.TestDev;

// Departures from QEMU's hw/misc/pc-testdev.c: the byte-lane alias of the scratch register at E8h-EBh and
// the 64 KiB iomem window at FF000000h are not provided (E9h belongs to the Bochs debug console); the
// flush-page port reports the written address instead of remapping host memory.

/// <summary>
/// QEMU's pc-testdev used by kvm-unit-tests: E0h-E3h a 32-bit scratch register addressable by byte lanes,
/// E4h a 32-bit "flush page" write, and 2000h+n (n = 0..23) a byte write that sets ISA IRQ line n to (value != 0).
/// Register ranges: E0h count 8, 2000h count 24.
/// </summary>
public sealed class PcTestDev : IPortIoDevice
{
    public const ushort ScratchPort = 0xE0;
    public const ushort FlushPagePort = 0xE4;
    public const int LowRangeCount = 8; // E0h-E7h: scratch (4) + flush page (4)
    public const ushort IrqLinePortBase = 0x2000;
    public const int IrqLineCount = 24;
    private const int ScratchBytes = 4;

    private readonly IReadOnlyList<IInterruptLine> _irqLines;
    private readonly Action<uint> _flushPage;

    /// <param name="irqLines">The machine's ISA/GSI lines 0..23 (fewer is allowed; extra ports are ignored).</param>
    public PcTestDev(IReadOnlyList<IInterruptLine> irqLines, Action<uint> flushPage)
    {
        _irqLines = irqLines;
        _flushPage = flushPage;
    }

    public uint Scratch { get; private set; }

    public uint ReadPort(ushort port, int size)
    {
        int offset = port - ScratchPort;
        if ((uint)offset >= ScratchBytes) return AccessSize.PortMask(size); // flush and IRQ ports are write-only
        int shift = offset * 8;
        return (uint)((Scratch & LaneMask(offset, size)) >> shift);
    }

    public void WritePort(ushort port, int size, uint value)
    {
        int offset = port - ScratchPort;
        if ((uint)offset < ScratchBytes) WriteScratch(offset, size, value);
        else if (port == FlushPagePort && size == 4) _flushPage(value);
        else WriteIrqLine(port - IrqLinePortBase, size, value);
    }

    private void WriteScratch(int offset, int size, uint value)
    {
        uint mask = LaneMask(offset, size);
        Scratch = (Scratch & ~mask) | ((value << (offset * 8)) & mask);
    }

    private void WriteIrqLine(int line, int size, uint value)
    {
        if (size != 1 || (uint)line >= IrqLineCount || line >= _irqLines.Count) return; // byte accesses only
        _irqLines[line].SetLevel((value & 0xFF) != 0);
    }

    /// <summary>Bits of the 32-bit register covered by an access of <paramref name="size"/> bytes at byte lane <paramref name="offset"/>.</summary>
    private static uint LaneMask(int offset, int size) => (uint)(AccessSize.Mask(size) << (offset * 8));
}
