namespace JitVirt.Vmx;

/// <summary>
/// The host's physical memory as the VMX hardware sees it: 4 KiB pages the VMM allocates for the
/// VMXON region, VMCS regions and the I/O and MSR bitmaps (2.6.20 took them with alloc_page).
/// These pages are not guest memory. Every write bumps <see cref="Generation"/>, so the processor
/// notices a bitmap change at the next VM entry (Part D of the fact sheet: bitmaps are cached in
/// decoded form).
/// </summary>
public sealed class HostMemory
{
    public const int PageSize = 4096;
    const ulong FirstPage = 0x1_0000_0000; // above the guest's 32-bit space, so the two are never confused

    readonly Dictionary<ulong, ulong[]> _pages = new();
    ulong _next = FirstPage;

    /// <summary>Incremented by every write through <see cref="WriteBit"/>, <see cref="Fill"/> or <see cref="Write64"/>.</summary>
    public long Generation { get; private set; }

    /// <summary>A fresh zeroed, 4 KiB-aligned page; returns its host-physical address.</summary>
    public ulong AllocatePage()
    {
        ulong address = _next;
        _next += PageSize;
        _pages[address] = new ulong[PageSize / 8];
        return address;
    }

    /// <summary>The page at a page-aligned <paramref name="address"/>, or null when no page is there.</summary>
    public ulong[]? PageAt(ulong address) => _pages.TryGetValue(address, out var p) ? p : null;

    public bool Exists(ulong address) => _pages.ContainsKey(address & ~(ulong)(PageSize - 1));

    public ulong Read64(ulong address) => _pages[address & ~0xFFFul][(address & 0xFFF) >> 3];

    public void Write64(ulong address, ulong value)
    {
        _pages[address & ~0xFFFul][(address & 0xFFF) >> 3] = value;
        Generation++;
    }

    public bool ReadBit(ulong pageAddress, int bit) => (_pages[pageAddress][bit >> 6] >> (bit & 63) & 1) != 0;

    public void WriteBit(ulong pageAddress, int bit, bool value)
    {
        ref ulong word = ref _pages[pageAddress][bit >> 6];
        if (value) word |= 1ul << (bit & 63); else word &= ~(1ul << (bit & 63));
        Generation++;
    }

    public void Fill(ulong pageAddress, byte value)
    {
        ulong pattern = value * 0x0101_0101_0101_0101ul;
        Array.Fill(_pages[pageAddress], pattern);
        Generation++;
    }
}
