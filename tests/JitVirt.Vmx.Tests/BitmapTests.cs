using Xunit;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// I/O bitmaps A/B (SDM vol.3C §25.6.4) and the MSR bitmap (§25.6.9) at each range edge. The bit the
/// test sets is computed here from the manual's layout: port p is bit p of A (p &lt; 8000h) or bit
/// p − 8000h of B; an MSR's read bit is at byte 000h (low) / 400h (high) + index/8, its write bit at
/// 800h / C00h + index/8.
/// </summary>
public sealed class BitmapTests
{
    readonly HostMemory _m = new();

    void SetByteBit(ulong page, int byteOffset, int bit) => _m.WriteBit(page, byteOffset * 8 + bit, true);

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x7FFF)]
    [InlineData(0x8000)]
    [InlineData(0xFFFF)]
    public void OnePortBitAtEachEdge(int port)
    {
        ulong a = _m.AllocatePage(), b = _m.AllocatePage();
        ulong page = port < 0x8000 ? a : b;
        int within = port & 0x7FFF;
        SetByteBit(page, within / 8, within % 8);
        var bitmaps = new IoBitmaps(_m, a, b);
        Assert.True(bitmaps.IsIntercepted((ushort)port, 1));
        if (port > 0) Assert.False(bitmaps.IsIntercepted((ushort)(port - 1), 1));
        if (port < 0xFFFF) Assert.False(bitmaps.IsIntercepted((ushort)(port + 1), 1));
    }

    [Fact]
    public void AnAccessSpanningAAndBChecksBoth()
    {
        ulong a = _m.AllocatePage(), b = _m.AllocatePage();
        SetByteBit(b, 0, 0);                                   // port 8000h
        var bitmaps = new IoBitmaps(_m, a, b);
        Assert.True(bitmaps.IsIntercepted(0x7FFF, 2));         // 7FFF and 8000
        Assert.False(bitmaps.IsIntercepted(0x7FFE, 2));
        Assert.True(bitmaps.IsIntercepted(0x7FFD, 4));
    }

    [Fact]
    public void AnAccessWrappingPastFfffAlwaysExits()
    {
        ulong a = _m.AllocatePage(), b = _m.AllocatePage();
        var bitmaps = new IoBitmaps(_m, a, b);                  // all clear
        Assert.False(bitmaps.IsIntercepted(0xFFFF, 1));
        Assert.False(bitmaps.IsIntercepted(0xFFFC, 4));
        Assert.True(bitmaps.IsIntercepted(0xFFFE, 4));         // §26.1.3: wraps to port 0
        Assert.True(bitmaps.IsIntercepted(0xFFFF, 2));
    }

    [Theory]
    // msr, write, byte offset of its bit, bit number
    [InlineData(0x0000_0000u, false, 0x000, 0)]
    [InlineData(0x0000_1FFFu, false, 0x3FF, 7)]
    [InlineData(0xC000_0000u, false, 0x400, 0)]
    [InlineData(0xC000_1FFFu, false, 0x7FF, 7)]
    [InlineData(0x0000_0000u, true, 0x800, 0)]
    [InlineData(0x0000_1FFFu, true, 0xBFF, 7)]
    [InlineData(0xC000_0000u, true, 0xC00, 0)]
    [InlineData(0xC000_1FFFu, true, 0xFFF, 7)]
    [InlineData(0x0000_0174u, false, 0x02E, 4)]            // SYSENTER_CS: 174h / 8 = 2Eh, bit 4
    [InlineData(0xC000_0080u, true, 0xC10, 0)]             // EFER write
    public void EachQuarterAtItsEdges(uint msr, bool write, int byteOffset, int bit)
    {
        ulong page = _m.AllocatePage();
        var bitmap = new MsrBitmap(_m, page);
        Assert.False(bitmap.IsIntercepted(msr, write));
        SetByteBit(page, byteOffset, bit);
        Assert.True(bitmap.IsIntercepted(msr, write));
        Assert.False(bitmap.IsIntercepted(msr, !write));       // the other direction's quarter is separate
    }

    [Theory]
    [InlineData(0x0000_2000u)]
    [InlineData(0x4000_0000u)]
    [InlineData(0xBFFF_FFFFu)]
    [InlineData(0xC000_2000u)]
    [InlineData(0xC001_0000u)]                              // SVM's third range is not covered on VMX
    [InlineData(0xFFFF_FFFFu)]
    public void MsrsOutsideBothRangesAlwaysExit(uint msr)
    {
        ulong page = _m.AllocatePage();                        // all clear
        var bitmap = new MsrBitmap(_m, page);
        Assert.True(bitmap.IsIntercepted(msr, false));
        Assert.True(bitmap.IsIntercepted(msr, true));
    }
}
