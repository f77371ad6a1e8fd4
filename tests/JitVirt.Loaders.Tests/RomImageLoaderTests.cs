using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Machine.Loaders;
using static JitVirt.Loaders.Tests.Support;
using static JitVirt.Loaders.Tests.TestImages;

namespace JitVirt.Loaders.Tests;

public sealed class RomImageLoaderTests
{
    [Fact]
    public void RomEndsAt4GiBAndItsLast128KiBAppearBelow1MiB()
    {
        var rom = Pattern(256 * 1024, 5);
        var image = RomImageLoader.Load(File("bios.bin", rom));
        Assert.Equal(0x1_0000_0000ul - 0x40000, image.Roms[0].Address);
        Assert.Equal(0xE0000ul, image.Roms[1].Address);
        using var memory = Installed(image, 16 * MiB);
        Assert.Equal(rom[^16..], Read(memory, 0xFFFF_FFF0, 16));
        Assert.Equal(rom[^16..], Read(memory, 0xFFFF0, 16));
        Assert.Equal(rom[(rom.Length - 128 * 1024)..][..64], Read(memory, 0xE0000, 64));
        Assert.Equal(rom[..64], Read(memory, 0xFFFC_0000, 64));
    }

    [Fact]
    public void SmallRomAppearsOnlyInTheTop64KiBBelow1MiB()
    {
        var image = RomImageLoader.Load(File("bios.bin", Pattern(64 * 1024, 1)));
        Assert.Equal(0xF0000ul, image.Roms[1].Address);
        Assert.Equal(64 * 1024, image.Roms[1].Image.Length);
    }

    [Fact]
    public void EntryIsTheResetVector()
    {
        var s = RomImageLoader.Load(File("bios.bin", new byte[65536])).Entry;
        Assert.Equal(EntryMode.Real, s.Mode);
        Assert.Equal(0xFFF0ul, s.Rip);
        Assert.Equal(0xF000, s.Cs.Selector);
        Assert.Equal(0xFFFF_0000ul, s.Cs.Base);

        using var physical = new PhysicalMemory(16 * MiB);
        var cpu = new JitVirt.Cpu.Cpu(physical, new IdentityTranslator());
        BootStateApplier.Apply(cpu, s);
        Assert.Equal(0xFFFF_0000ul + 0xFFF0, cpu.Segments[SegmentIndex.Cs].Base + cpu.Rip);
        Assert.Equal(JitVirt.Cpu.OperatingMode.Real, cpu.Mode);
    }

    [Fact]
    public void EmptyRomIsRejected() => Fails(() => RomImageLoader.Load(File("bios.bin", [])), "bios.bin", "empty");

    [Fact]
    public void RomOfOddSizeIsRejected() => Fails(() => RomImageLoader.Load(File("bios.bin", new byte[100_000])), "bios.bin", "64 KiB");

    [Fact]
    public void OversizedRomIsRejected() => Fails(() => RomImageLoader.Load(File("bios.bin", new byte[32 * 1024 * 1024])), "bios.bin", "16 MiB");
}
