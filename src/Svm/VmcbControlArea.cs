namespace JitVirt.Svm;

/// <summary>
/// Byte offsets of the VMCB control area (AMD APM vol.2 Appendix B, Table B-1; the first 0x400
/// bytes of the VMCB page). Fields that Linux 2.6.20 did not know (clean bits, nRIP, decode
/// assists) are listed for completeness and left zero: this front end models a 2007 processor.
/// </summary>
public static class VmcbControlArea
{
    public const int InterceptCrRead = 0x000;     // 16 bits, bit n = CRn
    public const int InterceptCrWrite = 0x002;    // 16 bits
    public const int InterceptDrRead = 0x004;     // 16 bits, bit n = DRn
    public const int InterceptDrWrite = 0x006;    // 16 bits
    public const int InterceptExceptions = 0x008; // 32 bits, bit v = vector v
    public const int InterceptWord1 = 0x00C;      // 32 bits (InterceptBits.Word1)
    public const int InterceptWord2 = 0x010;      // 32 bits (InterceptBits.Word2)
    public const int PauseFilterThreshold = 0x03C;
    public const int PauseFilterCount = 0x03E;
    public const int IopmBasePa = 0x040;          // 64 bits, low 12 bits ignored
    public const int MsrpmBasePa = 0x048;         // 64 bits, low 12 bits ignored
    public const int TscOffset = 0x050;           // 64 bits
    public const int GuestAsid = 0x058;           // 32 bits; 0 is illegal for VMRUN
    public const int TlbControl = 0x05C;          // 8 bits
    public const int IntCtl = 0x060;              // 32 bits: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING
    public const int IntVector = 0x064;           // 32 bits, bits 7:0
    public const int IntState = 0x068;            // bit 0: interrupt shadow
    public const int ExitCode = 0x070;            // 64 bits (−1 = VMEXIT_INVALID)
    public const int ExitInfo1 = 0x078;
    public const int ExitInfo2 = 0x080;
    public const int ExitIntInfo = 0x088;         // 32 bits, EVENTINJ format
    public const int ExitIntInfoErrorCode = 0x08C;
    public const int NestedControl = 0x090;       // bit 0 NP_ENABLE (unused: no nested paging in 2007)
    public const int EventInj = 0x0A8;            // 32 bits
    public const int EventInjErrorCode = 0x0AC;
    public const int NestedCr3 = 0x0B0;
    public const int LbrVirtualizationEnable = 0x0B8;
    public const int CleanBits = 0x0C0;           // later processors
    public const int NextRip = 0x0C8;             // later processors (NRIPS)
    public const int Size = 0x400;

    /// <summary>TLB_CONTROL values (APM vol.2 §15.16.1).</summary>
    public const byte TlbControlDoNothing = 0, TlbControlFlushAll = 1, TlbControlFlushAsid = 3, TlbControlFlushAsidNonGlobal = 7;

    // int_ctl bits (APM vol.2 §15.21.1, Table B-1 offset 0x60).
    public const uint VTprMask = 0xF;
    public const uint VIrq = 1u << 8;
    public const int VIntrPrioShift = 16;
    public const uint VIntrPrioMask = 0xFu << VIntrPrioShift;
    public const uint VIgnTpr = 1u << 20;
    public const uint VIntrMasking = 1u << 24;

    /// <summary>int_state bit 0: the guest is in an interrupt shadow (APM vol.2 §15.21.5).</summary>
    public const uint InterruptShadow = 1;
}
