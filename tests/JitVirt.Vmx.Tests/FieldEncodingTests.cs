using Xunit;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// Field-encoding decomposition (SDM vol.3C §25.11.2, Table 25-21; encodings from Appendix B):
/// bit 0 access type, bits 9:1 index, 11:10 type, 14:13 width. Expected parts are read off the
/// appendix tables by hand.
/// </summary>
public sealed class FieldEncodingTests
{
    [Theory]
    // encoding, width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural), type (0 ctl, 1 exit-info, 2 guest, 3 host), index, high
    [InlineData(0x0000u, 0, 0, 0, false)]   // VPID: B.1.1, first 16-bit control field
    [InlineData(0x0802u, 0, 2, 1, false)]   // guest CS selector: B.1.2, index 1
    [InlineData(0x0C0Cu, 0, 3, 6, false)]   // host TR selector: B.1.3, index 6
    [InlineData(0x2000u, 1, 0, 0, false)]   // I/O bitmap A (full): B.2.1
    [InlineData(0x2001u, 1, 0, 0, true)]    // I/O bitmap A (high)
    [InlineData(0x2011u, 1, 0, 8, true)]    // TSC offset (high): index 8
    [InlineData(0x2800u, 1, 2, 0, false)]   // VMCS link pointer: B.2.3
    [InlineData(0x4402u, 2, 1, 1, false)]   // exit reason: B.3.2, read-only
    [InlineData(0x4826u, 2, 2, 19, false)]  // guest activity state: B.3.3 index 19
    [InlineData(0x6400u, 3, 1, 0, false)]   // exit qualification: B.4.2
    [InlineData(0x681Eu, 3, 2, 15, false)]  // guest RIP: B.4.3 index 15
    [InlineData(0x6C16u, 3, 3, 11, false)]  // host RIP: B.4.4 index 11
    public void DecomposesLikeTheAppendix(uint encoding, int width, int type, int index, bool high)
    {
        var e = new VmcsFieldEncoding(encoding);
        Assert.Equal((VmcsFieldWidth)width, e.Width);
        Assert.Equal((VmcsFieldType)type, e.Type);
        Assert.Equal(index, e.Index);
        Assert.Equal(high, e.IsHighAccess);
        Assert.True(e.IsWellFormed);
        Assert.Equal(encoding, VmcsFieldEncoding.Compose((VmcsFieldWidth)width, (VmcsFieldType)type, index, high).Value);
    }

    [Theory]
    [InlineData(0x4403u)]      // high access of a 32-bit field
    [InlineData(0x681Fu)]      // high access of a natural-width field
    [InlineData(0x1000u)]      // bit 12 reserved
    [InlineData(0x0001_681Eu)] // bits 31:15 reserved
    public void MalformedEncodingsAreNotWellFormed(uint encoding) => Assert.False(new VmcsFieldEncoding(encoding).IsWellFormed);

    [Fact]
    public void The2620FieldsKeepTheirEncodings()
    {
        // Spot checks against 2.6.20 vmx.h / SDM Appendix B values, written out by hand.
        Assert.Equal(0x4016u, VmcsField.VmEntryInterruptionInfo);
        Assert.Equal(0x440Cu, VmcsField.VmExitInstructionLength);
        Assert.Equal(0x6820u, VmcsField.GuestRflags);
        Assert.Equal(0x4824u, VmcsField.GuestInterruptibilityState);
        Assert.Equal(0x680Eu, VmcsField.Base(4));          // guest FS base
        Assert.Equal(0x4822u, VmcsField.AccessRights(7));  // guest TR access rights
        Assert.Equal(0x080Cu, VmcsField.Selector(6));      // guest LDTR selector
    }

    [Fact]
    public void EveryFieldHasItsOwnSlotAndFitsTheRegion()
    {
        var slots = VmcsField.All.Select(Vmcs.SlotOf).ToArray();
        Assert.DoesNotContain(-1, slots);
        Assert.Equal(slots.Length, slots.Distinct().Count());
        Assert.True(slots.Max() < VmxCapabilities.VmcsRegionSize / 8);
        Assert.True(slots.Min() >= 2); // qword 0 = revision + abort indicator, qword 1 = launch state
    }
}
