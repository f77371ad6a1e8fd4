using System.Buffers.Binary;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// 4-level page tables that identity-map the first 4 GiB with 2 MiB pages (SDM vol.3 §5.5,
/// 4-level paging): one PML4 page, one PDPT page, four page directories, contiguous from the base.
/// </summary>
public static class IdentityPageTables
{
    public const int PageSize = 4096;
    public const int Pages = 6;
    public const int Size = Pages * PageSize;
    /// <summary>Present (bit 0) and R/W (bit 1) in every level (SDM vol.3 §5.5).</summary>
    public const ulong PresentWritable = 0x3;
    /// <summary>PS (bit 7): the PDE maps a 2 MiB page (SDM vol.3 §5.5).</summary>
    public const ulong LargePage = 0x80;
    public const ulong TwoMiB = 0x20_0000, OneGiB = 0x4000_0000;

    /// <summary>The tables for guest-physical <paramref name="baseAddress"/> (4 KiB aligned); CR3 = base.</summary>
    public static byte[] Build(ulong baseAddress)
    {
        var tables = new byte[Size];
        ulong pdpt = baseAddress + PageSize;
        BinaryPrimitives.WriteUInt64LittleEndian(tables, pdpt | PresentWritable);
        for (int gib = 0; gib < 4; gib++)
        {
            ulong pd = baseAddress + (ulong)(2 + gib) * PageSize;
            BinaryPrimitives.WriteUInt64LittleEndian(tables.AsSpan(PageSize + gib * 8), pd | PresentWritable);
            for (int i = 0; i < 512; i++)
            {
                ulong frame = (ulong)gib * OneGiB + (ulong)i * TwoMiB;
                BinaryPrimitives.WriteUInt64LittleEndian(tables.AsSpan((2 + gib) * PageSize + i * 8), frame | PresentWritable | LargePage);
            }
        }
        return tables;
    }
}
