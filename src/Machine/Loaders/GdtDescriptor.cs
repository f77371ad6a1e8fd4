using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>Encodes an 8-byte code/data segment descriptor (SDM vol.3 §3.4.5, Figure 3-8).</summary>
public static class GdtDescriptor
{
    /// <summary>
    /// The descriptor a load of which gives <paramref name="segment"/>'s cache: base, limit (stored
    /// in 4 KiB units when G=1), and the access-rights byte and flags nibble from the VMX layout.
    /// </summary>
    public static ulong Encode(in SegmentRegister segment)
    {
        uint ar = segment.AccessRights;
        bool granular = (ar & SegmentRegister.Granularity) != 0;
        ulong limit = granular ? segment.Limit >> 12 : segment.Limit;
        ulong b = segment.Base;
        return (limit & 0xFFFF)
            | (b & 0xFF_FFFF) << 16
            | (ulong)(ar & 0xFF) << 40                // type, S, DPL, P
            | ((limit >> 16) & 0xF) << 48
            | (ulong)((ar >> 12) & 0xF) << 52          // AVL, L, D/B, G
            | ((b >> 24) & 0xFF) << 56;
    }
}
