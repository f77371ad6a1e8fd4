namespace JitVirt.Machine.Loaders;

/// <summary>
/// Bytes a loader puts into guest-physical RAM: <see cref="Data"/> at <see cref="Address"/>, then
/// zeros up to <see cref="Size"/> (an ELF segment's BSS: p_memsz beyond p_filesz). Zeros are
/// written explicitly so that a reboot into the same image starts from a clean BSS.
/// </summary>
public sealed record GuestWrite(string What, ulong Address, ReadOnlyMemory<byte> Data, ulong Size)
{
    public GuestWrite(string what, ulong address, ReadOnlyMemory<byte> data) : this(what, address, data, (ulong)data.Length) { }

    public ulong End => Address + Size;

    public bool Overlaps(ulong start, ulong end) => Address < end && start < End;
}
