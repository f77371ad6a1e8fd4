using JitVirt.Cpu.Platform;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// The memory-type range registers as a PC BIOS leaves them for the operating system, in the layout
/// SeaBIOS programs on QEMU's pc machine: RAM write-back, the legacy VGA window A0000h-BFFFFh uncached,
/// the 32-bit PCI hole up to 4 GiB uncached through variable range 0, and write-back as the default
/// type with the fixed ranges enabled. A kernel booted without a BIOS would otherwise find every MTRR
/// disabled (their reset state, SDM vol.3 §13.11.5) and Linux then turns PAT off as well.
/// </summary>
public static class FirmwareMtrrs
{
    /// <summary>Memory types (SDM vol.3 §13.11.1, Table 13-8).</summary>
    public const byte Uncacheable = 0, WriteBack = 6;

    /// <summary>IA32_MTRR_DEF_TYPE: E (bit 11) enables the MTRRs, FE (bit 10) the fixed ranges, bits 7:0 the default type (SDM vol.3 Figure 13-6).</summary>
    public const ulong DefTypeEnable = 1ul << 11, DefTypeFixedEnable = 1ul << 10;

    /// <summary>IA32_MTRR_PHYSMASKn bit 11: the range is valid (SDM vol.3 Figure 13-7).</summary>
    public const ulong PhysMaskValid = 1ul << 11;

    /// <summary>The fixed-range MSRs (SDM vol.3 Table 13-9): 64K_00000, 16K_80000, 16K_A0000, then 4K_C0000 ... 4K_F8000.</summary>
    private static readonly uint[] FixedRangeMsrs =
    [
        ModelSpecificRegisters.MtrrFix64K00000, ModelSpecificRegisters.MtrrFix16K80000, ModelSpecificRegisters.MtrrFix16KA0000,
        .. Enumerable.Range(0, 8).Select(i => ModelSpecificRegisters.MtrrFix4KC0000 + (uint)i),
    ];

    /// <summary>
    /// MSR writes, in order, for a machine whose PCI hole runs from <paramref name="pciHoleStart"/> (a power
    /// of two below 4 GiB, aligned to its own size) to 4 GiB. The default type is written last, with the
    /// MTRRs enabled, as firmware does once the ranges are in place.
    /// </summary>
    public static IReadOnlyList<(uint Msr, ulong Value)> For(ulong pciHoleStart)
    {
        ulong holeSize = (1ul << 32) - pciHoleStart;
        if (pciHoleStart == 0 || pciHoleStart >= 1ul << 32 || (holeSize & (holeSize - 1)) != 0 || pciHoleStart % holeSize != 0)
            throw new ArgumentOutOfRangeException(nameof(pciHoleStart), $"0x{pciHoleStart:X}: one variable range covers only a naturally aligned power-of-two size");
        var writes = new List<(uint, ulong)>();
        for (int i = 0; i < FixedRangeMsrs.Length; i++)
        {
            // 16K_A0000 covers A0000h-BFFFFh, the VGA frame buffer window: uncached. The rest is RAM or ROM shadow: WB.
            byte type = FixedRangeMsrs[i] == ModelSpecificRegisters.MtrrFix16KA0000 ? Uncacheable : WriteBack;
            writes.Add((FixedRangeMsrs[i], 0x0101_0101_0101_0101ul * type));
        }
        ulong physicalMask = (1ul << CpuidModel.PhysicalAddressBits) - 1;
        writes.Add((ModelSpecificRegisters.MtrrPhysBase0, pciHoleStart | Uncacheable));
        writes.Add((ModelSpecificRegisters.MtrrPhysBase0 + 1, (~(holeSize - 1) & physicalMask) | PhysMaskValid));
        writes.Add((ModelSpecificRegisters.MtrrDefTypeMsr, DefTypeEnable | DefTypeFixedEnable | WriteBack));
        return writes;
    }
}
