namespace JitVirt.Cpu.State;

/// <summary>
/// An 8-byte GDT/LDT/IDT descriptor, decoded (SDM vol.3 §3.4.5 Figure 3-8 for segment
/// descriptors, §6.11 Figure 6-2 / §6.14.1 for gates). System descriptors in IA-32e mode occupy
/// 16 bytes; <see cref="High"/> holds the upper 8 bytes when they were read.
/// </summary>
public readonly struct SegmentDescriptor
{
    public readonly ulong Raw;
    public readonly ulong High;

    public SegmentDescriptor(ulong raw, ulong high = 0) { Raw = raw; High = high; }

    public uint Type => (uint)(Raw >> 40) & 0xF;
    /// <summary>S: 1 = code/data segment, 0 = system segment or gate.</summary>
    public bool IsCodeOrData => ((Raw >> 44) & 1) != 0;
    public int Dpl => (int)(Raw >> 45) & 3;
    public bool IsPresent => ((Raw >> 47) & 1) != 0;
    public bool IsAvailable => ((Raw >> 52) & 1) != 0;
    public bool IsLong => ((Raw >> 53) & 1) != 0;
    public bool IsDefaultBig => ((Raw >> 54) & 1) != 0;
    public bool IsGranular => ((Raw >> 55) & 1) != 0;

    public bool IsCode => IsCodeOrData && (Type & 8) != 0;
    public bool IsData => IsCodeOrData && (Type & 8) == 0;
    public bool IsConforming => IsCode && (Type & 4) != 0;
    public bool IsReadable => IsCode ? (Type & 2) != 0 : true;
    public bool IsWritable => IsData && (Type & 2) != 0;

    /// <summary>Base address of a segment descriptor (bits 16-39 and 56-63); for 16-byte system descriptors add <see cref="High"/> bits 0-31 as bits 32-63.</summary>
    public ulong Base => ((Raw >> 16) & 0xFF_FFFF) | ((Raw >> 32) & 0xFF00_0000);
    public ulong Base64 => Base | ((High & 0xFFFF_FFFF) << 32);

    /// <summary>Limit in bytes, scaled by G (SDM vol.3 §3.4.5: G=1 → limit × 4096 + 4095).</summary>
    public uint Limit
    {
        get
        {
            uint raw = (uint)(Raw & 0xFFFF) | (uint)((Raw >> 32) & 0xF_0000);
            return IsGranular ? (raw << 12) | 0xFFF : raw;
        }
    }

    /// <summary>Attributes in the VMX access-rights layout used by <see cref="SegmentRegister.AccessRights"/> (descriptor bits 40-47 and 52-55).</summary>
    public uint AccessRights => (uint)((Raw >> 40) & 0xFF) | (uint)((Raw >> 40) & 0xF000);

    // ---- gates (SDM vol.3 §5.8.3 call gates, §6.11 IDT gates, §6.14.1 64-bit gates) ----

    public ushort GateSelector => (ushort)(Raw >> 16);
    public ulong GateOffset32 => (Raw & 0xFFFF) | ((Raw >> 32) & 0xFFFF_0000);
    public ulong GateOffset64 => GateOffset32 | ((High & 0xFFFF_FFFF) << 32);
    /// <summary>Parameter count of a call gate (bits 32-36).</summary>
    public int GateParameterCount => (int)(Raw >> 32) & 0x1F;
    /// <summary>Interrupt stack table index of a 64-bit IDT gate (bits 32-34).</summary>
    public int GateIst => (int)(Raw >> 32) & 7;

    /// <summary>A segment register loaded from this descriptor.</summary>
    public SegmentRegister ToSegmentRegister(ushort selector) => new()
    {
        Selector = selector,
        Base = Base,
        Limit = Limit,
        AccessRights = AccessRights,
    };
}

/// <summary>System descriptor and gate types (S = 0; SDM vol.3 §3.5, Table 3-2).</summary>
public static class SystemDescriptorType
{
    public const uint Tss16Available = 1, Ldt = 2, Tss16Busy = 3, CallGate16 = 4, TaskGate = 5;
    public const uint InterruptGate16 = 6, TrapGate16 = 7, Tss32Available = 9, Tss32Busy = 11;
    public const uint CallGate32 = 12, InterruptGate32 = 14, TrapGate32 = 15;
    // In IA-32e mode types 9/11 are the 64-bit TSS, 12 the 64-bit call gate, 14/15 the 64-bit interrupt/trap gates.
}
