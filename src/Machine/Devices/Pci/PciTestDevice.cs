namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// QEMU's "pci-testdev" (vendor 1B36 Red Hat, device 0005), used by kvm-unit-tests to time I/O exits.
/// BAR0 is a 4 KiB memory region, BAR1 a 256-byte I/O region; an optional 64-bit prefetchable BAR2
/// of a configurable size decodes nothing. Each region starts with a test header
/// (offset 0 test number, 1 access width, 4 trigger offset, 8 data byte, 12 hit count, 16 name):
/// writing a test number (0–2) to offset 0 selects the no-eventfd / wildcard / datamatch test of
/// that region's type, each matching write to the trigger offset bumps the count. Accesses are
/// handled one byte at a time, as QEMU's region allows only byte accesses and splits wider ones.
/// Departures: there are no eventfds, so the "eventfd" tests count in the device like no-eventfd does.
/// </summary>
public sealed class PciTestDevice : PciFunction
{
    public const ushort RedHatVendorId = 0x1B36;
    public const ushort TestDeviceId = 0x0005;
    private const byte OtherClass = 0x00;          // QEMU's PCI_CLASS_OTHERS = base 00h, sub-class FFh
    private const byte OtherSubClass = 0xFF;

    public const int MemoryBar = 0;
    public const int IoBar = 1;
    public const int MemoryBarSize = 2 * MemoryTestSpan;   // two 2 KiB halves
    public const int IoBarSize = 2 * IoTestSpan;           // two 128-byte halves
    private const int MemoryTestSpan = 2048;
    private const int IoTestSpan = 128;

    public const int TestsPerType = 3;
    public const byte DataMatchValue = 0xFA;
    public const byte NoMatchValue = 0xCE;
    private const int AccessWidth = 1;
    private const int HeaderNameOffset = 16;
    private const int HeaderOffsetField = 4;
    private const int HeaderDataField = 8;
    private const int HeaderCountField = 12;

    private static readonly string[] TestNames =
    [
        "mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd",
        "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd",
    ];

    public PciTestDevice(ulong membarSize = 0)
        : base(RedHatVendorId, TestDeviceId, 0, OtherClass, OtherSubClass, 0, headerType: 0)
    {
        DefineBar(MemoryBar, PciBarKind.Memory32, MemoryBarSize);
        DefineBar(IoBar, PciBarKind.Io, IoBarSize);
        if (membarSize != 0) DefineBar(2, PciBarKind.Memory64, membarSize, prefetchable: true);
        SetInterruptPin(0);
        MemoryRegion = new PciTestDeviceMemoryRegion(this);
        IoRegion = new PciTestDeviceIoRegion(this);
    }

    public PciTestDeviceState State { get; } = new();

    /// <summary>Map at <c>GetBarAddress(0)</c> while memory decoding is enabled.</summary>
    public PciTestDeviceMemoryRegion MemoryRegion { get; }

    /// <summary>Map at <c>GetBarAddress(1)</c> while I/O decoding is enabled; takes absolute port numbers.</summary>
    public PciTestDeviceIoRegion IoRegion { get; }

    public void Reset()
    {
        State.CurrentTest = -1;
        State.Count = 0;
    }

    /// <summary>Byte read from a region; zero when no test is selected or past the header.</summary>
    public byte ReadByte(int offset)
    {
        int test = State.CurrentTest;
        if (test < 0 || offset < 0 || offset + AccessWidth >= HeaderSize(test)) return 0;
        if (offset >= HeaderNameOffset) return (byte)TestNames[test][offset - HeaderNameOffset];
        return HeaderByte(test, offset);
    }

    /// <summary>Byte write to a region; <paramref name="isIo"/> picks the portio half of the test table.</summary>
    public void WriteByte(bool isIo, int offset, byte value)
    {
        if (offset == 0)
        {
            State.CurrentTest = -1;
            if (value >= TestsPerType) return;
            State.CurrentTest = (isIo ? TestsPerType : 0) + value;
            State.Count = 0;
            return;
        }
        int test = State.CurrentTest;
        if (test < 0 || offset != TriggerOffset(test)) return;
        if (MatchesData(test) && value != DataValue(test)) return;
        State.Count++;
    }

    public static string TestName(int test) => TestNames[test];

    /// <summary>Trigger offset = region half size + global test index × width.</summary>
    public static int TriggerOffset(int test) => (test < TestsPerType ? MemoryTestSpan : IoTestSpan) + test * AccessWidth;

    private static bool MatchesData(int test) => test % TestsPerType != 1; // all but the wildcard test

    private static byte DataValue(int test) => MatchesData(test) ? DataMatchValue : NoMatchValue;

    private static int HeaderSize(int test) => HeaderNameOffset + TestNames[test].Length + 1;

    private byte HeaderByte(int test, int offset) => offset switch
    {
        0 => (byte)test,
        1 => AccessWidth,
        >= HeaderOffsetField and < HeaderOffsetField + 4 => (byte)(TriggerOffset(test) >> ((offset - HeaderOffsetField) * 8)),
        HeaderDataField => DataValue(test),
        >= HeaderCountField and < HeaderCountField + 4 => (byte)(State.Count >> ((offset - HeaderCountField) * 8)),
        _ => 0,
    };
}
