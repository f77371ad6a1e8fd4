using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>Reading descriptors from the GDT, LDT and IDT (SDM vol.3 §3.4.2, §3.5.1, §6.10).</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// Reads the descriptor a selector names (TI chooses GDT or LDT). Returns false without raising
    /// anything when the selector is beyond the table limit (or the LDT is unusable); the caller
    /// raises the fault its instruction specifies (usually #GP(selector & ~3)). Descriptor-table
    /// reads are implicit supervisor accesses; a #PF during them is raised and also returns false
    /// (check <see cref="Faulted"/>).
    /// </summary>
    public bool TryReadDescriptor(ushort selector, out SegmentDescriptor descriptor, out ulong descriptorAddress, bool sixteenBytes = false)
    {
        descriptor = default;
        descriptorAddress = 0;
        ulong tableBase;
        uint tableLimit;
        if ((selector & 4) != 0)
        {
            if (!Ldtr.IsUsable || (Ldtr.Selector & ~7) == 0 && Ldtr.Base == 0 && Ldtr.Limit == 0) return false;
            tableBase = Ldtr.Base; tableLimit = Ldtr.Limit;
        }
        else
        {
            tableBase = Gdtr.Base; tableLimit = Gdtr.Limit;
        }
        ulong index = (ulong)(selector & ~7);
        ulong last = index + (sixteenBytes ? 15ul : 7ul);
        if (last > tableLimit) return false;
        descriptorAddress = tableBase + index;
        if (!Is64BitMode && !IsLongModeActive) descriptorAddress &= 0xFFFF_FFFF;
        ulong low = ReadLinear<ulong>(descriptorAddress, false);
        if (Faulted) return false;
        ulong high = 0;
        if (sixteenBytes)
        {
            high = ReadLinear<ulong>(descriptorAddress + 8, false);
            if (Faulted) return false;
        }
        descriptor = new SegmentDescriptor(low, high);
        return true;
    }

    /// <summary>Sets the accessed bit (type bit 0) of a code/data descriptor in memory, as a segment load does (SDM vol.3 §3.4.5.1).</summary>
    public void SetDescriptorAccessed(ulong descriptorAddress, in SegmentDescriptor descriptor)
    {
        if ((descriptor.Raw & (1ul << 40)) != 0) return;
        byte b = (byte)(descriptor.Raw >> 40);
        WriteLinear<byte>(descriptorAddress + 5, (byte)(b | 1), false);
    }

    /// <summary>Reads an IDT entry: 8 bytes, or 16 in IA-32e mode (SDM vol.3 §6.14.1). False when beyond IDTR.limit.</summary>
    public bool TryReadIdtEntry(byte vector, out SegmentDescriptor gate)
    {
        gate = default;
        bool longMode = IsLongModeActive;
        ulong size = longMode ? 16ul : 8ul;
        ulong offset = vector * size;
        if (offset + size - 1 > Idtr.Limit) return false;
        ulong addr = Idtr.Base + offset;
        if (!longMode) addr &= 0xFFFF_FFFF;
        ulong low = ReadLinear<ulong>(addr, false);
        if (Faulted) return false;
        ulong high = longMode ? ReadLinear<ulong>(addr + 8, false) : 0;
        if (Faulted) return false;
        gate = new SegmentDescriptor(low, high);
        return true;
    }
}
