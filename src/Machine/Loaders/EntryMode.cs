namespace JitVirt.Machine.Loaders;

/// <summary>The processor mode a boot protocol enters the image in.</summary>
public enum EntryMode
{
    /// <summary>Real mode (boot sector, reset vector).</summary>
    Real,
    /// <summary>32-bit protected mode, paging off (Multiboot §3.2, Linux 32-bit boot protocol).</summary>
    Protected32,
    /// <summary>64-bit long mode with identity-mapped paging (Linux 64-bit boot protocol).</summary>
    Long64,
}
