namespace JitVirt.Machine.Loaders;

/// <summary>A read-only image mapped into the physical address space (<c>PhysicalMemory.MapRom</c>).</summary>
public sealed record RomMapping(string What, ulong Address, byte[] Image)
{
    public ulong End => Address + (ulong)Image.Length;
}
