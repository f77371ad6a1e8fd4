using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

/// <summary>
/// Whether a translation's rights allow an access (SDM vol.3 §5.6), for a processor without
/// SMEP, SMAP, protection keys or shadow stacks (none are advertised).
/// </summary>
public static class AccessRights
{
    /// <param name="rights">Combined rights of the translation.</param>
    /// <param name="kind">Data read, data write or instruction fetch.</param>
    /// <param name="user">User-mode access (CPL = 3 and not an implicit supervisor access).</param>
    /// <param name="writeProtect">CR0.WP.</param>
    public static bool Allow(PageRights rights, AccessKind kind, bool user, bool writeProtect)
    {
        // §5.6.1: user-mode accesses are allowed only to user-mode addresses (U/S = 1 at every level).
        if (user && (rights & PageRights.User) == 0) return false;
        return kind switch
        {
            // Reads are allowed from any address with a translation (user-mode: checked above).
            AccessKind.Read => true,
            // User-mode writes need R/W = 1 everywhere; supervisor-mode writes need it only when CR0.WP = 1.
            AccessKind.Write => (rights & PageRights.Write) != 0 || (!user && !writeProtect),
            // Fetches need XD = 0 everywhere; with NXE = 0 or 32-bit paging XD never reaches here as 1.
            _ => (rights & PageRights.Execute) != 0,
        };
    }
}
