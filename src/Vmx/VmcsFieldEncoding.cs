namespace JitVirt.Vmx;

/// <summary>Field width, encoding bits 14:13 (SDM vol.3C §25.11.2, Table 25-21).</summary>
public enum VmcsFieldWidth { Bits16 = 0, Bits64 = 1, Bits32 = 2, Natural = 3 }

/// <summary>Field type, encoding bits 11:10: control, VM-exit information (read-only), guest state, host state.</summary>
public enum VmcsFieldType { Control = 0, ExitInformation = 1, GuestState = 2, HostState = 3 }

/// <summary>
/// The parts of a VMCS field encoding (SDM vol.3C §25.11.2): bit 0 access type (1 = high 32 bits of a
/// 64-bit field), bits 9:1 index, bits 11:10 type, bit 12 reserved, bits 14:13 width, bits 31:15 reserved.
/// </summary>
public readonly record struct VmcsFieldEncoding(uint Value)
{
    public bool IsHighAccess => (Value & 1) != 0;
    public int Index => (int)(Value >> 1) & 0x1FF;
    public VmcsFieldType Type => (VmcsFieldType)((Value >> 10) & 3);
    public VmcsFieldWidth Width => (VmcsFieldWidth)((Value >> 13) & 3);

    /// <summary>Bits 31:15 and 12 are reserved; a high access is defined only for 64-bit fields.</summary>
    public bool IsWellFormed => (Value & 0xFFFF_9000) == 0 && (!IsHighAccess || Width == VmcsFieldWidth.Bits64);

    /// <summary>The same field with the access-type bit cleared (the "full" encoding).</summary>
    public uint FullEncoding => Value & ~1u;

    public static VmcsFieldEncoding Compose(VmcsFieldWidth width, VmcsFieldType type, int index, bool high = false)
        => new(((uint)width << 13) | ((uint)type << 10) | ((uint)index << 1) | (high ? 1u : 0));
}
