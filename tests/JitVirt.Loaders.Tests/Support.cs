using JitVirt.Cpu.Memory;
using JitVirt.Machine.Loaders;

namespace JitVirt.Loaders.Tests;

internal sealed class IdentityTranslator : IAddressTranslator
{
    public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = 0;
        return true;
    }

    public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
}

internal static class Support
{
    public const ulong MiB = 1024 * 1024;

    public static byte[] Read(PhysicalMemory memory, ulong address, int length)
    {
        var b = new byte[length];
        memory.ReadBytes(address, b);
        return b;
    }

    public static PhysicalMemory Installed(BootImage image, ulong ramSize)
    {
        var memory = new PhysicalMemory(ramSize);
        image.Install(memory);
        return memory;
    }

    /// <summary>Runs <paramref name="load"/> and requires a <see cref="LoaderException"/> naming the file and containing <paramref name="fragment"/>.</summary>
    public static LoaderException Fails(Func<object> load, string fileName, string fragment)
    {
        var e = Assert.Throws<LoaderException>(() => load());
        Assert.StartsWith(fileName + ": ", e.Message);
        Assert.Contains(fragment, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }
}
