namespace JitVirt.Cpu.State;

/// <summary>CR0 bits (SDM vol.3 §2.5, Figure 2-7).</summary>
public static class Cr0
{
    public const ulong PE = 1ul << 0, MP = 1ul << 1, EM = 1ul << 2, TS = 1ul << 3, ET = 1ul << 4, NE = 1ul << 5;
    public const ulong WP = 1ul << 16, AM = 1ul << 18, NW = 1ul << 29, CD = 1ul << 30, PG = 1ul << 31;
    /// <summary>Bits that exist; writing 1 to any other bit of the low 32, or any upper bit, is #GP (SDM vol.3 §2.5).</summary>
    public const ulong Defined = PE | MP | EM | TS | ET | NE | WP | AM | NW | CD | PG;
}

/// <summary>CR4 bits (SDM vol.3 §2.5, Figure 2-7). Only the bits JitVirt implements are defined.</summary>
public static class Cr4
{
    public const ulong VME = 1ul << 0, PVI = 1ul << 1, TSD = 1ul << 2, DE = 1ul << 3, PSE = 1ul << 4, PAE = 1ul << 5;
    public const ulong MCE = 1ul << 6, PGE = 1ul << 7, PCE = 1ul << 8, OSFXSR = 1ul << 9, OSXMMEXCPT = 1ul << 10;
    public const ulong VMXE = 1ul << 13;
    /// <summary>Bits JitVirt accepts; a write setting any other is #GP(0).</summary>
    public const ulong Supported = VME | PVI | TSD | DE | PSE | PAE | MCE | PGE | PCE | OSFXSR | OSXMMEXCPT | VMXE;
}

/// <summary>IA32_EFER bits (SDM vol.3 §2.2.1, Figure 2-4; APM vol.2 §3.1.7).</summary>
public static class Efer
{
    public const ulong SCE = 1ul << 0, LME = 1ul << 8, LMA = 1ul << 10, NXE = 1ul << 11, SVME = 1ul << 12;
    public const ulong Supported = SCE | LME | LMA | NXE | SVME;
}
