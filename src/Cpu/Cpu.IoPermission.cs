using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// The protected-mode I/O permission check of IN, OUT, INS and OUTS (SDM vol.1 §19.5,
/// vol.3 §21.2.8). Like the hardware, the bitmap is always read as two bytes, so the byte after
/// the one holding the port's bit must lie within the TSS limit too (SDM vol.1 §19.5.2).
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Offset of the 16-bit I/O map base address field in a 32-bit or 64-bit TSS (SDM vol.3 §9.2.1, §9.7).</summary>
    public const int TssIoMapBaseOffset = 0x66;

    /// <summary>
    /// True when an access of <paramref name="size"/> bytes to <paramref name="port"/> is allowed.
    /// In real mode everything is; in protected mode with CPL ≤ IOPL likewise; with CPL &gt; IOPL,
    /// or in virtual-8086 mode, every bit of the access in the TSS I/O permission bitmap must be 0.
    /// Otherwise raises #GP(0) (or the #PF of the TSS read) and returns false.
    /// </summary>
    public bool CheckIoPermission(ushort port, int size)
    {
        if (!IsProtectedMode) return true;
        if (!IsV86Mode && Cpl <= Iopl) return true;
        if (IoBitmapAllows(port, size)) return true;
        if (!Faulted) RaiseGeneralProtection(0);
        return false;
    }

    bool IoBitmapAllows(ushort port, int size)
    {
        uint type = Tr.AccessRights & SegmentRegister.TypeMask;
        // Only a 32-bit (or 64-bit) TSS has an I/O map; TR always holds a busy TSS, accept both types.
        if (!Tr.IsUsable || (type != SystemDescriptorType.Tss32Busy && type != SystemDescriptorType.Tss32Available)) return false;
        if (Tr.Limit < TssIoMapBaseOffset + 1) return false;
        ulong tssBase = IsLongModeActive ? Tr.Base : Tr.Base & 0xFFFF_FFFF;
        ushort mapBase = ReadLinear<ushort>(TssLinear(tssBase + TssIoMapBaseOffset), false);
        if (Faulted) return false;
        ulong offset = (ulong)mapBase + (ulong)(port >> 3);
        if (offset + 1 > Tr.Limit) return false;
        uint bits = ReadLinear<ushort>(TssLinear(tssBase + offset), false);
        if (Faulted) return false;
        uint mask = ((1u << size) - 1) << (port & 7);
        return (bits & mask) == 0;
    }

    ulong TssLinear(ulong linear) => IsLongModeActive ? linear : linear & 0xFFFF_FFFF;
}
