using JitVirt.Machine.Loaders;
using static JitVirt.Loaders.Tests.Support;
using static JitVirt.Loaders.Tests.TestImages;

namespace JitVirt.Loaders.Tests;

/// <summary>Cut and corrupted images: every failure is a <see cref="LoaderException"/>, nothing else escapes.</summary>
public sealed class RobustnessTests
{
    private static readonly GuestMemoryLayout Memory = GuestMemoryLayout.ForRam(64 * MiB);

    private static void OnlyLoaderExceptions(byte[] valid, Func<ImageFile, object> load)
    {
        for (int length = 0; length < valid.Length; length += Math.Max(1, valid.Length / 256))
            Attempt(valid[..length], load);
        var random = new Random(1234);
        for (int round = 0; round < 400; round++)
        {
            var b = (byte[])valid.Clone();
            for (int k = 0; k < 4; k++) b[random.Next(Math.Min(b.Length, 0x300))] = (byte)random.Next(256);
            Attempt(b, load);
        }
    }

    private static void Attempt(byte[] bytes, Func<ImageFile, object> load)
    {
        try
        {
            load(File("img", bytes));
        }
        catch (LoaderException e)
        {
            Assert.StartsWith("img: ", e.Message);
        }
    }

    [Fact]
    public void MultibootElf() =>
        OnlyLoaderExceptions(Elf32(0x40_0010, [new ElfSegment(0x40_0000, 0x40_0000, Pattern(0x200, 1), 0x10_0000)]),
            f => MultibootLoader.Load(f, Memory));

    [Fact]
    public void MultibootAout()
    {
        var b = Pattern(0x400, 8);
        WriteMultibootHeader(b, 0, 0x10000);
        U32(b, 12, 0x100000);
        U32(b, 16, 0x100000);
        U32(b, 20, 0x100300);
        U32(b, 24, 0x102000);
        U32(b, 28, 0x100040);
        OnlyLoaderExceptions(b, f => MultibootLoader.Load(f, Memory));
    }

    [Fact]
    public void LinuxBzImage() =>
        OnlyLoaderExceptions(BzImage(Pattern(0x400, 3)), f => LinuxLoader.Load(f, Memory));

    [Fact]
    public void BootSectorAndRom()
    {
        OnlyLoaderExceptions(Pattern(512, 0), f => FlatBinaryLoader.LoadBootSector(f, Memory));
        OnlyLoaderExceptions(Pattern(65536, 0), f => RomImageLoader.Load(f));
    }
}
