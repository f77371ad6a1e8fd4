namespace JitVirt.Mmu.Tests.Reference;

/// <summary>Paging mode of the reference model (SDM vol.3 §5.1.1, Table 5-1).</summary>
public enum RefMode { ThirtyTwoBit, Pae, FourLevel }

public enum RefAccessKind { Read, Write, Fetch }

/// <summary>The processor settings the model depends on.</summary>
public readonly record struct RefCpu(bool WriteProtect, bool Nxe, bool Pse, int MaxPhysAddr = 36)
{
    public override string ToString() => $"WP={(WriteProtect ? 1 : 0)} NXE={(Nxe ? 1 : 0)} PSE={(Pse ? 1 : 0)}";
}

/// <summary>What the model says an access does; <see cref="EntriesAfter"/> holds the entries of the translation, top first, after it.</summary>
public sealed record RefOutcome(bool Faults, uint ErrorCode, ulong Physical, ulong[] EntriesAfter);

/// <summary>
/// An independent model of the paging rules, written from the SDM's tables rather than from the
/// walker: entry formats (vol.3 Tables 5-4 to 5-20), access rights (§5.6), page-fault error codes
/// (§5.7, Figure 5-12) and accessed/dirty flags (§5.8). It takes the entries of one translation,
/// top level first, instead of reading memory. Processor modelled: no PSE-36, no 1-GByte pages,
/// PAT supported, no SMEP/SMAP/PKE.
/// </summary>
public static class SdmPagingModel
{
    // Bit positions as the tables number them.
    const int P = 0, RW = 1, US = 2, A = 5, D = 6, PS = 7, XD = 63;

    /// <summary>The entry formats, one per SDM table.</summary>
    public enum Format
    {
        Pde32Page4M,  // Table 5-4
        Pde32Table,   // Table 5-5
        Pte32,        // Table 5-6
        PaePdpte,     // Table 5-8
        PaePde2M,     // Table 5-9
        PaePdeTable,  // Table 5-10
        PaePte,       // Table 5-11
        Pml4e,        // Table 5-15
        Pdpte,        // Table 5-17 (Table 5-16 does not apply: no 1-GByte pages)
        Pde2M,        // Table 5-18
        PdeTable,     // Table 5-19
        Pte,          // Table 5-20
    }

    static bool Bit(ulong value, int n) => ((value >> n) & 1) != 0;

    /// <summary>Bits hi..lo set, built bit by bit.</summary>
    public static ulong Ones(int hi, int lo)
    {
        ulong mask = 0;
        for (int b = lo; b <= hi; b++) mask |= 1ul << b;
        return mask;
    }

    /// <summary>The "Reserved (must be 0)" rows of each table, for a processor with MAXPHYADDR = M.</summary>
    public static ulong Reserved(Format format, RefCpu cpu)
    {
        int m = cpu.MaxPhysAddr;
        ulong xdIfNoNxe = cpu.Nxe ? 0 : Ones(XD, XD); // "If IA32_EFER.NXE = 1, execute-disable; otherwise, reserved"
        return format switch
        {
            // §5.3: "If the PSE-36 mechanism is not supported, bits 21:13 are reserved"; 32-bit paging has no others.
            Format.Pde32Page4M => Ones(21, 13),
            Format.Pde32Table or Format.Pte32 => 0,
            // Table 5-8: 2:1, 8:5, 63:M.
            Format.PaePdpte => Ones(2, 1) | Ones(8, 5) | Ones(63, m),
            // Table 5-9: 20:13, 62:M, 63 without NXE.
            Format.PaePde2M => Ones(20, 13) | Ones(62, m) | xdIfNoNxe,
            // Tables 5-10, 5-11: 62:M, 63 without NXE.
            Format.PaePdeTable or Format.PaePte => Ones(62, m) | xdIfNoNxe,
            // Table 5-15: 7 (PS) reserved, 51:M.
            Format.Pml4e => Ones(7, 7) | Ones(51, m) | xdIfNoNxe,
            // Table 5-17: PS must be 0 when 1-GByte pages are not supported (§5.5.4), 51:M.
            Format.Pdpte => Ones(7, 7) | Ones(51, m) | xdIfNoNxe,
            // Table 5-18: 20:13, 51:M.
            Format.Pde2M => Ones(20, 13) | Ones(51, m) | xdIfNoNxe,
            // Tables 5-19, 5-20: 51:M.
            _ => Ones(51, m) | xdIfNoNxe,
        };
    }

    static readonly Format[] Bits32Large = [Format.Pde32Page4M], Bits32Small = [Format.Pde32Table, Format.Pte32];
    static readonly Format[] PaeLarge = [Format.PaePdpte, Format.PaePde2M], PaeSmall = [Format.PaePdpte, Format.PaePdeTable, Format.PaePte];
    static readonly Format[] FourLevelLarge = [Format.Pml4e, Format.Pdpte, Format.Pde2M];
    static readonly Format[] FourLevelSmall = [Format.Pml4e, Format.Pdpte, Format.PdeTable, Format.Pte];

    /// <summary>The formats of the entries a translation reads, top first, chosen by each entry's PS flag.</summary>
    public static Format[] FormatsFor(RefMode mode, RefCpu cpu, ulong[] entries) => mode switch
    {
        // PS of a PDE counts only when CR4.PSE = 1 (Table 5-5: "otherwise, ignored").
        RefMode.ThirtyTwoBit => cpu.Pse && Bit(entries[0], PS) ? Bits32Large : Bits32Small,
        // PAE and 4-level paging honour PS in PDEs whatever CR4.PSE (§5.4.2, §5.5.4).
        RefMode.Pae => Bit(entries[1], PS) ? PaeLarge : PaeSmall,
        _ => Bit(entries[2], PS) ? FourLevelLarge : FourLevelSmall,
    };

    /// <summary>The physical address a page-mapping entry gives <paramref name="linear"/>.</summary>
    static ulong PhysicalAddress(Format leaf, ulong entry, ulong linear, int m) => leaf switch
    {
        Format.Pte32 => (entry & Ones(31, 12)) | (linear & Ones(11, 0)),
        Format.Pde32Page4M => (entry & Ones(31, 22)) | (linear & Ones(21, 0)), // bits 39:32 = 0 without PSE-36
        Format.PaePde2M or Format.Pde2M => (entry & Ones(m - 1, 21)) | (linear & Ones(20, 0)),
        _ => (entry & Ones(m - 1, 12)) | (linear & Ones(11, 0)),
    };

    public static RefOutcome Translate(RefMode mode, RefCpu cpu, ulong[] entries, ulong linear, RefAccessKind kind, bool user)
    {
        Format[] formats = FormatsFor(mode, cpu, entries);
        bool write = kind == RefAccessKind.Write, fetch = kind == RefAccessKind.Fetch;

        // Figure 5-12: W/R, U/S describe the access; I/D only with CR4.PAE = 1 and NXE = 1 (§5.7).
        uint accessBits = (write ? 2u : 0) | (user ? 4u : 0) | (fetch && mode != RefMode.ThirtyTwoBit && cpu.Nxe ? 16u : 0);
        ulong[] unchanged = entries; // a fault changes no entry

        for (int i = 0; i < formats.Length; i++)
        {
            if (!Bit(entries[i], P)) return new(true, accessBits, 0, unchanged);                       // P = 0: not present
            if ((entries[i] & Reserved(formats[i], cpu)) != 0) return new(true, accessBits | 1 | 8, 0, unchanged); // RSVD
        }

        // §5.6: the entries that control the translation's rights (a PAE PDPTE controls none).
        bool allUser = true, allWritable = true, anyExecuteDisable = false;
        for (int i = 0; i < formats.Length; i++)
        {
            if (formats[i] == Format.PaePdpte) continue;
            allUser &= Bit(entries[i], US);
            allWritable &= Bit(entries[i], RW);
            anyExecuteDisable |= mode != RefMode.ThirtyTwoBit && cpu.Nxe && Bit(entries[i], XD);
        }

        bool allowed;
        if (user)
        {
            // User-mode accesses: only to user-mode addresses; writes need R/W = 1 everywhere (whatever CR0.WP);
            // fetches need XD = 0 everywhere when NXE applies.
            allowed = allUser && kind switch
            {
                RefAccessKind.Read => true,
                RefAccessKind.Write => allWritable,
                _ => !anyExecuteDisable,
            };
        }
        else
        {
            // Supervisor-mode accesses: reads anywhere; writes anywhere with CR0.WP = 0, else only with R/W = 1
            // everywhere; fetches with XD = 0 everywhere (no SMEP).
            allowed = kind switch
            {
                RefAccessKind.Read => true,
                RefAccessKind.Write => !cpu.WriteProtect || allWritable,
                _ => !anyExecuteDisable,
            };
        }
        if (!allowed) return new(true, accessBits | 1, 0, unchanged);

        // §5.8: A in every entry used (PAE PDPTEs have no A flag), D in the entry that maps the page on a write.
        var after = (ulong[])entries.Clone();
        int leaf = formats.Length - 1;
        for (int i = 0; i <= leaf; i++)
        {
            if (formats[i] == Format.PaePdpte) continue;
            after[i] |= 1ul << A;
            if (i == leaf && write) after[i] |= 1ul << D;
        }
        return new(false, 0, PhysicalAddress(formats[leaf], entries[leaf], linear, cpu.MaxPhysAddr), after);
    }
}
