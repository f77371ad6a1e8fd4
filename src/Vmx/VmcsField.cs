namespace JitVirt.Vmx;

/// <summary>
/// VMCS field encodings (SDM vol.3C Appendix B). A 64-bit field's high half is its encoding + 1
/// (access type "high", §25.11.2). The set is the 2007-era architecture plus VPID; the fields
/// 2.6.20's vmx.h named are all here.
/// </summary>
public static class VmcsField
{
    // B.1.1 16-bit control fields
    public const uint VirtualProcessorId = 0x0000;

    // B.1.2 16-bit guest-state fields
    public const uint GuestEsSelector = 0x0800, GuestCsSelector = 0x0802, GuestSsSelector = 0x0804, GuestDsSelector = 0x0806;
    public const uint GuestFsSelector = 0x0808, GuestGsSelector = 0x080A, GuestLdtrSelector = 0x080C, GuestTrSelector = 0x080E;

    // B.1.3 16-bit host-state fields
    public const uint HostEsSelector = 0x0C00, HostCsSelector = 0x0C02, HostSsSelector = 0x0C04, HostDsSelector = 0x0C06;
    public const uint HostFsSelector = 0x0C08, HostGsSelector = 0x0C0A, HostTrSelector = 0x0C0C;

    // B.2.1 64-bit control fields
    public const uint IoBitmapA = 0x2000, IoBitmapB = 0x2002, MsrBitmap = 0x2004;
    public const uint VmExitMsrStoreAddress = 0x2006, VmExitMsrLoadAddress = 0x2008, VmEntryMsrLoadAddress = 0x200A;
    public const uint ExecutiveVmcsPointer = 0x200C, TscOffset = 0x2010, VirtualApicAddress = 0x2012;

    // B.2.2 64-bit read-only data field
    public const uint GuestPhysicalAddress = 0x2400;

    // B.2.3 64-bit guest-state fields
    public const uint VmcsLinkPointer = 0x2800, GuestIa32Debugctl = 0x2802, GuestIa32Pat = 0x2804, GuestIa32Efer = 0x2806;

    // B.2.4 64-bit host-state fields
    public const uint HostIa32Pat = 0x2C00, HostIa32Efer = 0x2C02;

    // B.3.1 32-bit control fields
    public const uint PinBasedControls = 0x4000, ProcessorBasedControls = 0x4002, ExceptionBitmap = 0x4004;
    public const uint PageFaultErrorCodeMask = 0x4006, PageFaultErrorCodeMatch = 0x4008, Cr3TargetCount = 0x400A;
    public const uint VmExitControls = 0x400C, VmExitMsrStoreCount = 0x400E, VmExitMsrLoadCount = 0x4010;
    public const uint VmEntryControls = 0x4012, VmEntryMsrLoadCount = 0x4014, VmEntryInterruptionInfo = 0x4016;
    public const uint VmEntryExceptionErrorCode = 0x4018, VmEntryInstructionLength = 0x401A, TprThreshold = 0x401C;
    public const uint SecondaryProcessorBasedControls = 0x401E;

    // B.3.2 32-bit read-only data fields
    public const uint VmInstructionError = 0x4400, ExitReason = 0x4402, VmExitInterruptionInfo = 0x4404;
    public const uint VmExitInterruptionErrorCode = 0x4406, IdtVectoringInfo = 0x4408, IdtVectoringErrorCode = 0x440A;
    public const uint VmExitInstructionLength = 0x440C, VmExitInstructionInfo = 0x440E;

    // B.3.3 32-bit guest-state fields
    public const uint GuestEsLimit = 0x4800, GuestCsLimit = 0x4802, GuestSsLimit = 0x4804, GuestDsLimit = 0x4806;
    public const uint GuestFsLimit = 0x4808, GuestGsLimit = 0x480A, GuestLdtrLimit = 0x480C, GuestTrLimit = 0x480E;
    public const uint GuestGdtrLimit = 0x4810, GuestIdtrLimit = 0x4812;
    public const uint GuestEsAccessRights = 0x4814, GuestCsAccessRights = 0x4816, GuestSsAccessRights = 0x4818, GuestDsAccessRights = 0x481A;
    public const uint GuestFsAccessRights = 0x481C, GuestGsAccessRights = 0x481E, GuestLdtrAccessRights = 0x4820, GuestTrAccessRights = 0x4822;
    public const uint GuestInterruptibilityState = 0x4824, GuestActivityState = 0x4826, GuestSmbase = 0x4828, GuestSysenterCs = 0x482A;

    // B.3.4 32-bit host-state field
    public const uint HostSysenterCs = 0x4C00;

    // B.4.1 natural-width control fields
    public const uint Cr0GuestHostMask = 0x6000, Cr4GuestHostMask = 0x6002, Cr0ReadShadow = 0x6004, Cr4ReadShadow = 0x6006;
    public const uint Cr3TargetValue0 = 0x6008, Cr3TargetValue1 = 0x600A, Cr3TargetValue2 = 0x600C, Cr3TargetValue3 = 0x600E;

    // B.4.2 natural-width read-only data fields
    public const uint ExitQualification = 0x6400, IoRcx = 0x6402, IoRsi = 0x6404, IoRdi = 0x6406, IoRip = 0x6408;
    public const uint GuestLinearAddress = 0x640A;

    // B.4.3 natural-width guest-state fields
    public const uint GuestCr0 = 0x6800, GuestCr3 = 0x6802, GuestCr4 = 0x6804;
    public const uint GuestEsBase = 0x6806, GuestCsBase = 0x6808, GuestSsBase = 0x680A, GuestDsBase = 0x680C;
    public const uint GuestFsBase = 0x680E, GuestGsBase = 0x6810, GuestLdtrBase = 0x6812, GuestTrBase = 0x6814;
    public const uint GuestGdtrBase = 0x6816, GuestIdtrBase = 0x6818, GuestDr7 = 0x681A, GuestRsp = 0x681C, GuestRip = 0x681E;
    public const uint GuestRflags = 0x6820, GuestPendingDebugExceptions = 0x6822, GuestSysenterEsp = 0x6824, GuestSysenterEip = 0x6826;

    // B.4.4 natural-width host-state fields
    public const uint HostCr0 = 0x6C00, HostCr3 = 0x6C02, HostCr4 = 0x6C04, HostFsBase = 0x6C06, HostGsBase = 0x6C08;
    public const uint HostTrBase = 0x6C0A, HostGdtrBase = 0x6C0C, HostIdtrBase = 0x6C0E;
    public const uint HostSysenterEsp = 0x6C10, HostSysenterEip = 0x6C12, HostRsp = 0x6C14, HostRip = 0x6C16;

    /// <summary>Every full-access encoding this implementation supports (the high halves follow from the 64-bit ones).</summary>
    public static readonly uint[] All =
    [
        VirtualProcessorId,
        GuestEsSelector, GuestCsSelector, GuestSsSelector, GuestDsSelector, GuestFsSelector, GuestGsSelector, GuestLdtrSelector, GuestTrSelector,
        HostEsSelector, HostCsSelector, HostSsSelector, HostDsSelector, HostFsSelector, HostGsSelector, HostTrSelector,
        IoBitmapA, IoBitmapB, MsrBitmap, VmExitMsrStoreAddress, VmExitMsrLoadAddress, VmEntryMsrLoadAddress, ExecutiveVmcsPointer, TscOffset, VirtualApicAddress,
        GuestPhysicalAddress,
        VmcsLinkPointer, GuestIa32Debugctl, GuestIa32Pat, GuestIa32Efer,
        HostIa32Pat, HostIa32Efer,
        PinBasedControls, ProcessorBasedControls, ExceptionBitmap, PageFaultErrorCodeMask, PageFaultErrorCodeMatch, Cr3TargetCount,
        VmExitControls, VmExitMsrStoreCount, VmExitMsrLoadCount, VmEntryControls, VmEntryMsrLoadCount, VmEntryInterruptionInfo,
        VmEntryExceptionErrorCode, VmEntryInstructionLength, TprThreshold, SecondaryProcessorBasedControls,
        VmInstructionError, ExitReason, VmExitInterruptionInfo, VmExitInterruptionErrorCode, IdtVectoringInfo, IdtVectoringErrorCode,
        VmExitInstructionLength, VmExitInstructionInfo,
        GuestEsLimit, GuestCsLimit, GuestSsLimit, GuestDsLimit, GuestFsLimit, GuestGsLimit, GuestLdtrLimit, GuestTrLimit, GuestGdtrLimit, GuestIdtrLimit,
        GuestEsAccessRights, GuestCsAccessRights, GuestSsAccessRights, GuestDsAccessRights, GuestFsAccessRights, GuestGsAccessRights,
        GuestLdtrAccessRights, GuestTrAccessRights, GuestInterruptibilityState, GuestActivityState, GuestSmbase, GuestSysenterCs,
        HostSysenterCs,
        Cr0GuestHostMask, Cr4GuestHostMask, Cr0ReadShadow, Cr4ReadShadow, Cr3TargetValue0, Cr3TargetValue1, Cr3TargetValue2, Cr3TargetValue3,
        ExitQualification, IoRcx, IoRsi, IoRdi, IoRip, GuestLinearAddress,
        GuestCr0, GuestCr3, GuestCr4, GuestEsBase, GuestCsBase, GuestSsBase, GuestDsBase, GuestFsBase, GuestGsBase, GuestLdtrBase, GuestTrBase,
        GuestGdtrBase, GuestIdtrBase, GuestDr7, GuestRsp, GuestRip, GuestRflags, GuestPendingDebugExceptions, GuestSysenterEsp, GuestSysenterEip,
        HostCr0, HostCr3, HostCr4, HostFsBase, HostGsBase, HostTrBase, HostGdtrBase, HostIdtrBase, HostSysenterEsp, HostSysenterEip, HostRsp, HostRip,
    ];

    /// <summary>Segment field encodings in SDM segment order (ES, CS, SS, DS, FS, GS, LDTR, TR): base + 2 × n.</summary>
    public static uint Selector(int segment) => GuestEsSelector + 2u * (uint)segment;
    public static uint Limit(int segment) => GuestEsLimit + 2u * (uint)segment;
    public static uint AccessRights(int segment) => GuestEsAccessRights + 2u * (uint)segment;
    public static uint Base(int segment) => GuestEsBase + 2u * (uint)segment;
}
