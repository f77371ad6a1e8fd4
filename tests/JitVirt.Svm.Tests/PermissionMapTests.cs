namespace JitVirt.Svm.Tests;

/// <summary>
/// IOPM and MSRPM lookups against worked examples written from AMD APM vol.2 §15.10.1 (one bit per
/// port; an access of n bytes checks n consecutive bits, the third page holding the bits past
/// 0xFFFF) and §15.11 / Table 15-6 (two bits per MSR, read = even bit, write = odd bit, three
/// 2-KiB ranges, everything else always intercepted).
/// </summary>
public class PermissionMapTests
{
    [Fact]
    public void IopmIsThreePagesAndAPortIsOneBit()
    {
        var map = new IoPermissionMap();
        Assert.Equal(3 * 4096, map.Bytes.Length);
        map.Set(0x3F8, true);
        // Port 0x3F8: byte 0x3F8 / 8 = 0x7F, bit 0x3F8 % 8 = 0.
        Assert.Equal(0x01, map.Bytes[0x7F]);
        Assert.True(map.Intercepts(0x3F8, 1));
        Assert.False(map.Intercepts(0x3F9, 1));
        Assert.False(map.Intercepts(0x3F7, 1));
    }

    [Fact]
    public void AMultiByteAccessChecksEveryPortItTouches()
    {
        var map = new IoPermissionMap();
        map.Set(0x3FB, true); // byte 0x7F bit 3
        Assert.Equal(0x08, map.Bytes[0x7F]);
        Assert.False(map.Intercepts(0x3F8, 1));
        Assert.False(map.Intercepts(0x3F8, 2)); // 3F8-3F9
        Assert.True(map.Intercepts(0x3F8, 4));  // 3F8-3FB
        Assert.True(map.Intercepts(0x3FA, 2));  // 3FA-3FB
        Assert.False(map.Intercepts(0x3FC, 4)); // 3FC-3FF
        // An access straddling a byte of the map: port 0x3FF, 2 bytes → bits 0x3FF and 0x400 (byte 0x80 bit 0).
        map.Set(0x400, true);
        Assert.Equal(0x01, map.Bytes[0x80]);
        Assert.True(map.Intercepts(0x3FF, 2));
        Assert.False(map.Intercepts(0x3FF, 1));
    }

    [Fact]
    public void FourBytesAtPortFFFEReachIntoTheThirdPage()
    {
        // A 4-byte access at 0xFFFE touches bits 0xFFFE, 0xFFFF, 0x10000 and 0x10001: bytes 0x1FFF and
        // 0x2000 of the map (0x2000 is the first byte of the third 4-KiB page). There is no wrap to port 0.
        var map = new IoPermissionMap();
        Assert.False(map.Intercepts(0xFFFE, 4));
        map.Set(0x10001, true);
        Assert.Equal(0x02, map.Bytes[0x2000]);
        Assert.True(map.Intercepts(0xFFFE, 4));
        Assert.False(map.Intercepts(0xFFFE, 2));
        Assert.False(map.Intercepts(0xFFFF, 1));
        map.Set(0x10001, false);
        map.Set(0x10002, true); // one past what the access touches
        Assert.False(map.Intercepts(0xFFFE, 4));
        map.Set(0, true); // port 0 is not reached by wrapping
        Assert.False(map.Intercepts(0xFFFE, 4));
        map.Set(0xFFFF, true); // byte 0x1FFF bit 7
        Assert.Equal(0x80, map.Bytes[0x1FFF]);
        Assert.True(map.Intercepts(0xFFFE, 4));
        Assert.True(map.Intercepts(0xFFFF, 1));
    }

    [Fact]
    public void TwoBytesAtPortFFFFTouchBit10000()
    {
        var map = new IoPermissionMap();
        map.Set(0x10000, true); // byte 0x2000 bit 0
        Assert.Equal(0x01, map.Bytes[0x2000]);
        Assert.True(map.Intercepts(0xFFFF, 2));
        Assert.False(map.Intercepts(0xFFFF, 1));
    }

    [Fact]
    public void ChangingAnIopmBitIsAnnounced()
    {
        var map = new IoPermissionMap();
        int changes = 0;
        map.Changed += () => changes++;
        map.Set(0x80, true);
        map.Set(0x80, true); // no change
        map.Set(0x80, false);
        Assert.Equal(2, changes);
    }

    public static TheoryData<uint, int> MsrBits => new()
    {
        // MSR, bit index of its read intercept (Table 15-6: byte = range base + (MSR - first) * 2 / 8).
        { 0x0000_0000u, 0 },
        { 0x0000_0001u, 2 },
        { 0x0000_1FFFu, 0x7FF * 8 + 6 },
        { 0xC000_0000u, 0x800 * 8 },
        { 0xC000_0080u, 0x820 * 8 },            // EFER: byte 0x800 + 0x80 * 2 / 8
        { 0xC000_1FFFu, 0xFFF * 8 + 6 },
        { 0xC001_0000u, 0x1000 * 8 },
        { 0xC001_0114u, (0x1000 + 0x114 * 2 / 8) * 8 + (0x114 * 2 % 8) }, // VM_CR
        { 0xC001_1FFFu, 0x17FF * 8 + 6 },
    };

    [Theory]
    [MemberData(nameof(MsrBits))]
    public void MsrReadAndWriteBitsSitWhereTheApmPutsThem(uint msr, int readBit)
    {
        var map = new MsrPermissionMap();
        Assert.Equal(8 * 1024, map.Bytes.Length);
        map.Set(msr, interceptRead: true, interceptWrite: false);
        Assert.Equal(1 << (readBit % 8), map.Bytes[readBit / 8]);
        Assert.True(map.Intercepts(msr, write: false));
        Assert.False(map.Intercepts(msr, write: true));
        map.Set(msr, interceptRead: false, interceptWrite: true);
        int writeBit = readBit + 1;
        Assert.Equal(1 << (writeBit % 8), map.Bytes[writeBit / 8]);
        Assert.False(map.Intercepts(msr, write: false));
        Assert.True(map.Intercepts(msr, write: true));
        // The neighbours are untouched.
        if ((msr & 0x1FFF) != 0) Assert.False(map.Intercepts(msr - 1, write: true)); // a range start has no neighbour below inside the map
    }

    [Theory]
    [InlineData(0x0000_2000u)] // just past range 0
    [InlineData(0xBFFF_FFFFu)] // just before range 1
    [InlineData(0xC000_2000u)] // just past range 1
    [InlineData(0xC000_FFFFu)] // just before range 2
    [InlineData(0xC001_2000u)] // just past range 2
    [InlineData(0xFFFF_FFFFu)]
    public void MsrsOutsideTheThreeRangesAlwaysIntercept(uint msr)
    {
        var map = new MsrPermissionMap(); // all zero: nothing inside the ranges is intercepted
        Assert.True(map.Intercepts(msr, write: false));
        Assert.True(map.Intercepts(msr, write: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.Set(msr, false, false));
    }

    [Fact]
    public void RangeEdgesInsideDoNotInterceptWhenClear()
    {
        var map = new MsrPermissionMap();
        foreach (uint msr in new uint[] { 0, 0x1FFF, 0xC000_0000, 0xC000_1FFF, 0xC001_0000, 0xC001_1FFF })
        {
            Assert.False(map.Intercepts(msr, false));
            Assert.False(map.Intercepts(msr, true));
        }
    }
}
