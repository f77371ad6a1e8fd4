namespace JitVirt.Cpu.Memory;

/// <summary>The kind of access a translation is for; it selects the permission checks and the #PF error code bits.</summary>
public enum AccessKind : byte
{
    Read = 0,
    Write = 1,
    Execute = 2,
}

/// <summary>
/// Linear-to-physical translation with paging enabled (SDM vol.3 ch.5). Implemented by the
/// MMU layer: a direct walker of the guest's tables, or the shadow MMU. The CPU calls it on a
/// software-TLB miss and caches the result per page.
/// </summary>
public interface IAddressTranslator
{
    /// <summary>
    /// Translates <paramref name="linear"/> for an access of <paramref name="kind"/> made at
    /// user privilege (<paramref name="user"/>: CPL 3 and not an implicit supervisor access),
    /// setting accessed/dirty bits as the hardware does. On a fault returns false with the
    /// #PF error code (SDM vol.3 §5.7, Figure 5-12); the CPU sets CR2 and raises #PF.
    /// </summary>
    bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode);

    /// <summary>The guest changed paging structures' context (CR3 load, INVLPG, mode switch): drop cached walks.</summary>
    void Invalidate(Cpu cpu, ulong? linearPage);

    /// <summary>
    /// The address-space tag (ASID, AMD APM vol.2 §15.16; VPID, SDM vol.3C §29.1; 0 for the plain
    /// CPU) later translations are for. A translator that caches per tag switches to that tag's
    /// cache; the direct walker has none.
    /// </summary>
    void SetTag(uint tag) { }
}
