using JitVirt.Machine.Firmware;

namespace JitVirt.MachineFirmware.Tests;

public sealed class E820Tests
{
    [Fact]
    public void StandardMapFor128MiB()
    {
        var map = E820MemoryMapBuilder.ForRam(128ul << 20).Entries;
        Assert.Equal(
        [
            new E820Entry(0, 0x9FC00, E820Type.Ram),
            new E820Entry(0x9FC00, 0x100000 - 0x9FC00, E820Type.Reserved),
            new E820Entry(0x100000, (128ul << 20) - 0x100000, E820Type.Ram),
            new E820Entry(0xFEC0_0000, 0x1000, E820Type.Reserved),
            new E820Entry(0xFEE0_0000, 0x1000, E820Type.Reserved),
        ], map);
    }

    [Fact]
    public void AcpiRegionIsCarvedOutOfRamAsType3()
    {
        var map = E820MemoryMapBuilder.ForRam(128ul << 20).AddAcpiTables(0x7FF_0000, 0x800_0000).Entries;
        Assert.Contains(new E820Entry(0x100000, 0x7FF_0000 - 0x100000, E820Type.Ram), map);
        Assert.Contains(new E820Entry(0x7FF_0000, 0x1_0000, E820Type.AcpiReclaimable), map);
        Assert.Equal(3u, (uint)E820Type.AcpiReclaimable);
    }

    [Fact]
    public void RamAboveThePciHoleMovesAbove4GiB()
    {
        var map = E820MemoryMapBuilder.ForRam(4ul << 30).Entries;
        Assert.Contains(new E820Entry(0x100000, 0xE000_0000 - 0x100000, E820Type.Ram), map);
        Assert.Contains(new E820Entry(0x1_0000_0000, (4ul << 30) - 0xE000_0000, E820Type.Ram), map);
    }

    [Fact]
    public void EntriesAreSortedAndDisjoint()
    {
        var map = E820MemoryMapBuilder.ForRam(64ul << 20).AddAcpiTables(0xE0000, 0xE1000).Entries;
        for (int i = 1; i < map.Count; i++) Assert.True(map[i - 1].End <= map[i].Base);
    }
}
