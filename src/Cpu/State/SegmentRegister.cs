namespace JitVirt.Cpu.State;

/// <summary>
/// A segment register: the visible selector and the hidden descriptor cache. The access rights
/// are kept in the VMX guest-state "access rights" layout (SDM vol.3 §25.4.1, Table 25-2), which
/// is the descriptor's type/S/DPL/P/AVL/L/D-B/G bits (descriptor bits 40-47 and 52-55) packed
/// with bit 16 as "unusable"; SVM's 12-bit attribute format (APM vol.2 §15.5.1) converts to it
/// by a shift.
/// </summary>
public struct SegmentRegister
{
    public ushort Selector;
    public ulong Base;
    /// <summary>Limit in bytes (already scaled by the granularity bit).</summary>
    public uint Limit;
    public uint AccessRights;

    public const uint TypeMask = 0xF;          // bits 3:0
    public const uint DescriptorTypeS = 1u << 4; // 1 = code/data
    public const int DplShift = 5;             // bits 6:5
    public const uint Present = 1u << 7;
    public const uint Available = 1u << 12;
    public const uint LongMode = 1u << 13;     // L (CS only)
    public const uint DefaultBig = 1u << 14;   // D/B
    public const uint Granularity = 1u << 15;
    public const uint Unusable = 1u << 16;

    // Code/data type bits (SDM vol.3 §3.4.5.1, Table 3-1).
    public const uint TypeAccessed = 1;
    public const uint TypeWritable = 2;        // data
    public const uint TypeReadable = 2;        // code
    public const uint TypeExpandDown = 4;      // data
    public const uint TypeConforming = 4;      // code
    public const uint TypeCode = 8;

    public readonly int Dpl => (int)(AccessRights >> DplShift) & 3;
    public readonly bool IsCode => (AccessRights & TypeCode) != 0 && (AccessRights & DescriptorTypeS) != 0;
    public readonly bool IsDefaultBig => (AccessRights & DefaultBig) != 0;
    public readonly bool IsLong => (AccessRights & LongMode) != 0;
    public readonly bool IsUsable => (AccessRights & Unusable) == 0;

    /// <summary>The state a segment register has in real mode after a load of <paramref name="selector"/> (SDM vol.3 §20.1.1).</summary>
    public static SegmentRegister RealMode(ushort selector, uint accessRights) => new()
    {
        Selector = selector,
        Base = (ulong)selector << 4,
        Limit = 0xFFFF,
        AccessRights = accessRights,
    };

    /// <summary>Read/write accessed data segment, present, DPL 0 (type 3): the real-mode data segment attributes.</summary>
    public const uint RealModeData = 0x93;
    /// <summary>Execute/read accessed code segment, present, DPL 0 (type 11).</summary>
    public const uint RealModeCode = 0x9B;

    public override readonly string ToString() => $"{Selector:X4} base={Base:X} limit={Limit:X} ar={AccessRights:X}";
}
