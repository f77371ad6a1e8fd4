using JitVirt.Machine.Devices.Pci;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Does what a PC BIOS does for PCI before handing over to an OS that does not assign resources
/// itself (e.g. kvm-unit-tests): places every BAR naturally aligned in an I/O window and a 32-bit
/// memory window, largest first, and turns on I/O / memory decoding. Departures: 64-bit BARs are
/// placed below 4 GiB as well; interrupt lines are left to the machine's wiring.
/// </summary>
public static class PciResourceAssigner
{
    /// <summary>I/O window start, above the legacy ISA ports (SeaBIOS uses 0xC000 too).</summary>
    public const ulong DefaultIoStart = 0xC000;
    public const ulong DefaultIoEnd = 0x1_0000;
    public const ulong DefaultMemoryStart = E820MemoryMapBuilder.DefaultPciHoleStart;
    /// <summary>The memory window stops below the I/O APIC page.</summary>
    public const ulong DefaultMemoryEnd = 0xFEC0_0000;

    public static void Assign(PciBus bus, ulong ioStart = DefaultIoStart, ulong ioEnd = DefaultIoEnd,
        ulong memoryStart = DefaultMemoryStart, ulong memoryEnd = DefaultMemoryEnd)
    {
        var bars = CollectBars(bus);
        bars.Sort((a, b) => b.Bar.Size.CompareTo(a.Bar.Size));
        ulong nextIo = ioStart, nextMemory = memoryStart;
        foreach (var (function, bar) in bars)
        {
            ref ulong next = ref bar.IsIo ? ref nextIo : ref nextMemory;
            ulong address = AlignUp(next, bar.Size);
            if (address + bar.Size > (bar.IsIo ? ioEnd : memoryEnd))
                throw new InvalidOperationException($"PCI {(bar.IsIo ? "I/O" : "memory")} window exhausted placing BAR{bar.Index} ({bar.Size} bytes)");
            function.SetBarAddress(bar.Index, address);
            next = address + bar.Size;
        }
        EnableDecoding(bus);
    }

    private static List<(PciFunction Function, PciBar Bar)> CollectBars(PciBus bus)
    {
        var bars = new List<(PciFunction, PciBar)>();
        foreach (var (_, _, function) in bus.Functions())
        {
            for (int i = 0; i < PciConfigRegister.BarCount; i++)
            {
                if (function.GetBar(i) is { } bar) bars.Add((function, bar));
            }
        }
        return bars;
    }

    private static void EnableDecoding(PciBus bus)
    {
        foreach (var (_, _, function) in bus.Functions())
        {
            ushort command = function.Command;
            for (int i = 0; i < PciConfigRegister.BarCount; i++)
            {
                if (function.GetBar(i) is not { } bar) continue;
                command |= bar.IsIo ? PciConfigRegister.CommandIoSpace : PciConfigRegister.CommandMemorySpace;
            }
            if (command != function.Command) function.WriteConfig(PciConfigRegister.Command, 2, command);
        }
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
