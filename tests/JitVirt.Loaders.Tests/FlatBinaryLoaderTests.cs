using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Machine.Loaders;
using static JitVirt.Loaders.Tests.Support;
using static JitVirt.Loaders.Tests.TestImages;

namespace JitVirt.Loaders.Tests;

public sealed class FlatBinaryLoaderTests
{
    private static readonly GuestMemoryLayout Memory = GuestMemoryLayout.ForRam(16 * MiB);

    private static byte[] BootSector()
    {
        var b = Pattern(512, 3);
        b[510] = 0x55;
        b[511] = 0xAA;
        return b;
    }

    [Fact]
    public void BootSectorLandsAt7C00AndEntersAt0000_7C00WithDl80()
    {
        var sector = BootSector();
        var image = FlatBinaryLoader.LoadBootSector(File("boot.img", sector), Memory);
        using var memory = Installed(image, 16 * MiB);
        Assert.Equal(sector, Read(memory, 0x7C00, 512));

        var s = image.Entry;
        Assert.Equal(EntryMode.Real, s.Mode);
        Assert.Equal(0x7C00ul, s.Rip);
        Assert.Equal(0x80ul, s.Rdx & 0xFF);
        Assert.Equal(0, s.Cs.Selector);
        Assert.Equal(0ul, s.Cs.Base);
        Assert.Equal(0xFFFFu, s.Cs.Limit);
        Assert.Equal(0ul, s.Rflags & Rflags.IF);
    }

    [Fact]
    public void FlatBinaryAboveSixtyFourKiBUsesASegment()
    {
        var bytes = Pattern(100, 1);
        var image = FlatBinaryLoader.LoadFlat(File("prog.bin", bytes), Memory, 0x12340);
        using var memory = Installed(image, 16 * MiB);
        Assert.Equal(bytes, Read(memory, 0x12340, 100));
        Assert.Equal(0x1234, image.Entry.Cs.Selector);
        Assert.Equal(0x12340ul, image.Entry.Cs.Base);
        Assert.Equal(0ul, image.Entry.Rip);
    }

    [Fact]
    public void SignatureCheckCanBeTurnedOff()
    {
        var image = FlatBinaryLoader.LoadBootSector(File("raw.bin", Pattern(30, 0)), Memory, requireSignature: false);
        Assert.Equal(0x7C00ul, image.Writes[0].Address);
    }

    [Fact]
    public void MissingSignatureIsRejected()
    {
        var b = BootSector();
        b[511] = 0;
        Fails(() => FlatBinaryLoader.LoadBootSector(File("boot.img", b), Memory), "boot.img", "boot signature");
    }

    [Fact]
    public void TruncatedBootSectorIsRejected() =>
        Fails(() => FlatBinaryLoader.LoadBootSector(File("boot.img", BootSector()[..300]), Memory), "boot.img", "truncated");

    [Fact]
    public void EmptyImageIsRejected() =>
        Fails(() => FlatBinaryLoader.LoadBootSector(File("boot.img", []), Memory), "boot.img", "empty");

    [Fact]
    public void ImageReachingPastConventionalMemoryIsRejected() =>
        Fails(() => FlatBinaryLoader.LoadFlat(File("big.bin", new byte[0x9F000]), Memory, 0x7C00), "big.bin", "conventional memory");

    [Fact]
    public void AppliedToACpuItRunsInRealModeAt7C00()
    {
        using var physical = new PhysicalMemory(16 * MiB);
        var cpu = new JitVirt.Cpu.Cpu(physical, new IdentityTranslator());
        FlatBinaryLoader.LoadBootSector(File("boot.img", BootSector()), Memory).Boot(cpu);
        Assert.Equal(JitVirt.Cpu.OperatingMode.Real, cpu.Mode);
        Assert.Equal(0x7C00ul, cpu.Rip);
        Assert.Equal(0ul, cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x80ul, cpu.Gpr[Gpr.Rdx]);
        Assert.Equal(0x55, physical.ReadByte(0x7C00 + 510));
    }
}
