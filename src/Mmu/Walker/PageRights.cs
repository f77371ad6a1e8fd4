namespace JitVirt.Mmu.Walker;

/// <summary>
/// Access rights of a translation: the combination, over every paging-structure entry that
/// controls it, of R/W, U/S and XD (SDM vol.3 §5.6). A right is present only if every entry grants it.
/// </summary>
[Flags]
public enum PageRights : byte
{
    None = 0,

    /// <summary>R/W = 1 in every entry.</summary>
    Write = 1 << 0,

    /// <summary>U/S = 1 in every entry: a user-mode address.</summary>
    User = 1 << 1,

    /// <summary>XD = 0 in every entry (always with 32-bit paging or IA32_EFER.NXE = 0).</summary>
    Execute = 1 << 2,

    All = Write | User | Execute,
}

/// <summary>Folding one entry into <see cref="PageRights"/>.</summary>
public static class PageRightsOf
{
    /// <summary>The rights <paramref name="entry"/> allows on its own; a PAE PDPTE is not passed here (it controls no rights, SDM vol.3 §5.4.1).</summary>
    public static PageRights Entry(ulong entry)
    {
        var rights = PageRights.None;
        if ((entry & PageTableEntry.ReadWrite) != 0) rights |= PageRights.Write;
        if ((entry & PageTableEntry.UserSupervisor) != 0) rights |= PageRights.User;
        if ((entry & PageTableEntry.ExecuteDisable) == 0) rights |= PageRights.Execute;
        return rights;
    }
}
