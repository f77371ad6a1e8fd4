using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// Flat 4 GiB segment caches as the boot protocols require them, in the VMX access-rights layout
/// of <see cref="SegmentRegister"/> (SDM vol.3 §25.4.1): type, S, DPL 0, P, and G with D/B or L.
/// </summary>
public static class FlatSegments
{
    /// <summary>Execute/read, accessed (type 0xB, SDM vol.3 Table 3-1), present, S=1: 0x9B.</summary>
    public const uint CodeType = SegmentRegister.Present | SegmentRegister.DescriptorTypeS
        | SegmentRegister.TypeCode | SegmentRegister.TypeReadable | SegmentRegister.TypeAccessed;
    /// <summary>Read/write, accessed (type 0x3), present, S=1: 0x93.</summary>
    public const uint DataType = SegmentRegister.Present | SegmentRegister.DescriptorTypeS
        | SegmentRegister.TypeWritable | SegmentRegister.TypeAccessed;

    /// <summary>32-bit code: G=1, D=1 (0xC09B).</summary>
    public const uint Code32Rights = CodeType | SegmentRegister.Granularity | SegmentRegister.DefaultBig;
    /// <summary>64-bit code: G=1, L=1, D=0 (0xA09B; SDM vol.3 §5.2.1 requires D=0 with L=1).</summary>
    public const uint Code64Rights = CodeType | SegmentRegister.Granularity | SegmentRegister.LongMode;
    /// <summary>32-bit data: G=1, B=1 (0xC093).</summary>
    public const uint Data32Rights = DataType | SegmentRegister.Granularity | SegmentRegister.DefaultBig;

    public static SegmentRegister Flat(ushort selector, uint accessRights) => new()
    {
        Selector = selector,
        Base = 0,
        Limit = 0xFFFF_FFFF,
        AccessRights = accessRights,
    };
}
