using System.Buffers.Binary;
using JitVirt.Machine.Devices.Acpi;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Fixed ACPI Description Table, revision 6 layout, 276 bytes (ACPI 6.x §5.2.9 Table 5.9).
/// No SMI_CMD: the platform is always in ACPI mode. No GPE blocks and no PM1b/PM2 blocks.
/// </summary>
public static class AcpiFadt
{
    public const int Length = 276;
    public const byte Revision = 6;

    // Field offsets from ACPI 6.x §5.2.9 Table 5.9.
    public const int FirmwareCtrlOffset = 36;
    public const int DsdtOffset = 40;
    public const int SciIntOffset = 46;
    public const int Pm1aEventBlockOffset = 56;
    public const int Pm1aControlBlockOffset = 64;
    public const int PmTimerBlockOffset = 76;
    public const int Pm1EventLengthOffset = 88;
    public const int Pm1ControlLengthOffset = 89;
    public const int PmTimerLengthOffset = 91;
    public const int CenturyOffset = 108;
    public const int IapcBootArchOffset = 109;
    public const int FlagsOffset = 112;
    public const int ResetRegisterOffset = 116;
    public const int ResetValueOffset = 128;
    public const int MinorVersionOffset = 131;
    public const int XFirmwareCtrlOffset = 132;
    public const int XDsdtOffset = 140;
    public const int XPm1aEventBlockOffset = 148;
    public const int XPm1aControlBlockOffset = 172;
    public const int XPmTimerBlockOffset = 208;

    // Fixed feature flags (ACPI 6.x §5.2.9 Table 5.10).
    public const uint FlagWbinvd = 1u << 0;
    public const uint FlagProcC1 = 1u << 2;
    public const uint FlagSleepButton = 1u << 5;      // set = no fixed-hardware sleep button
    public const uint FlagTimerValueExtended = 1u << 8; // clear = 24-bit PM timer
    public const uint FlagResetRegisterSupported = 1u << 10;
    public const uint Flags = FlagWbinvd | FlagProcC1 | FlagSleepButton | FlagResetRegisterSupported;

    // IA-PC boot architecture flags (ACPI 6.x §5.2.9.3 Table 5.11).
    public const ushort BootArchLegacyDevices = 1 << 0;
    public const ushort BootArch8042 = 1 << 1;

    public static int Write(Span<byte> table, AcpiPlatform platform, ulong facsAddress, ulong dsdtAddress)
    {
        AcpiTableHeader.Write(table, "FACP", Length, Revision, "JVRTFACP");
        table[AcpiTableHeader.Size..Length].Clear();
        WriteFacsAddress(table, facsAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(table[DsdtOffset..], checked((uint)dsdtAddress));
        BinaryPrimitives.WriteUInt16LittleEndian(table[SciIntOffset..], platform.SciIrq);
        WritePmBlocks(table, platform.PmBase);
        table[CenturyOffset] = platform.RtcCenturyIndex;
        BinaryPrimitives.WriteUInt16LittleEndian(table[IapcBootArchOffset..], BootArchLegacyDevices | BootArch8042);
        BinaryPrimitives.WriteUInt32LittleEndian(table[FlagsOffset..], Flags);
        AcpiGenericAddress.Io(platform.ResetPort, 8, AcpiGenericAddress.AccessByte).Write(table[ResetRegisterOffset..]);
        table[ResetValueOffset] = platform.ResetValue;
        BinaryPrimitives.WriteUInt64LittleEndian(table[XDsdtOffset..], dsdtAddress);
        AcpiTableHeader.FixChecksum(table[..Length]);
        return Length;
    }

    /// <summary>
    /// The FACS address goes in exactly one of FIRMWARE_CTRL and X_FIRMWARE_CTRL: "If the FIRMWARE_CTRL field
    /// contains a non zero value then this field [X_FIRMWARE_CTRL] must be zero" (ACPI 6.x §5.2.9, Table 5.9).
    /// With both set Linux installs the FACS twice. X_FIRMWARE_CTRL is for a FACS above 4 GiB.
    /// </summary>
    private static void WriteFacsAddress(Span<byte> table, ulong facsAddress)
    {
        if (facsAddress <= uint.MaxValue) BinaryPrimitives.WriteUInt32LittleEndian(table[FirmwareCtrlOffset..], (uint)facsAddress);
        else BinaryPrimitives.WriteUInt64LittleEndian(table[XFirmwareCtrlOffset..], facsAddress);
    }

    private static void WritePmBlocks(Span<byte> table, ushort pmBase)
    {
        ushort evt = (ushort)(pmBase + AcpiPmRegisters.EventBlockOffset);
        ushort cnt = (ushort)(pmBase + AcpiPmRegisters.ControlBlockOffset);
        ushort tmr = (ushort)(pmBase + AcpiPmRegisters.TimerBlockOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(table[Pm1aEventBlockOffset..], evt);
        BinaryPrimitives.WriteUInt32LittleEndian(table[Pm1aControlBlockOffset..], cnt);
        BinaryPrimitives.WriteUInt32LittleEndian(table[PmTimerBlockOffset..], tmr);
        table[Pm1EventLengthOffset] = AcpiPmRegisters.EventBlockLength;
        table[Pm1ControlLengthOffset] = AcpiPmRegisters.ControlBlockLength;
        table[PmTimerLengthOffset] = AcpiPmRegisters.TimerBlockLength;
        AcpiGenericAddress.Io(evt, AcpiPmRegisters.EventBlockLength * 8, AcpiGenericAddress.AccessWord).Write(table[XPm1aEventBlockOffset..]);
        AcpiGenericAddress.Io(cnt, AcpiPmRegisters.ControlBlockLength * 8, AcpiGenericAddress.AccessWord).Write(table[XPm1aControlBlockOffset..]);
        AcpiGenericAddress.Io(tmr, AcpiPmRegisters.TimerBlockLength * 8, AcpiGenericAddress.AccessDword).Write(table[XPmTimerBlockOffset..]);
    }
}
