namespace JitVirt.Svm;

/// <summary>
/// Byte offsets of the VMCB state-save area (AMD APM vol.2 Appendix B, Table B-2), counted from
/// the start of the VMCB page (the area begins at 0x400). A segment record is 16 bytes:
/// selector (+0, 16 bits), attributes (+2, 16 bits, <see cref="SegmentAttributes"/>), limit (+4,
/// 32 bits, in bytes), base (+8, 64 bits).
/// </summary>
public static class VmcbSaveStateArea
{
    public const int Es = 0x400, Cs = 0x410, Ss = 0x420, Ds = 0x430, Fs = 0x440, Gs = 0x450;
    public const int Gdtr = 0x460, Ldtr = 0x470, Idtr = 0x480, Tr = 0x490;
    public const int Cpl = 0x4CB;      // 8 bits
    public const int Efer = 0x4D0;
    public const int Cr4 = 0x548, Cr3 = 0x550, Cr0 = 0x558;
    public const int Dr7 = 0x560, Dr6 = 0x568;
    public const int Rflags = 0x570, Rip = 0x578;
    public const int Rsp = 0x5D8;
    public const int Rax = 0x5F8;
    public const int Star = 0x600, Lstar = 0x608, Cstar = 0x610, Sfmask = 0x618, KernelGsBase = 0x620;
    public const int SysenterCs = 0x628, SysenterEsp = 0x630, SysenterEip = 0x638;
    public const int Cr2 = 0x640;
    public const int GPat = 0x668;
    public const int DbgCtl = 0x670, BrFrom = 0x678, BrTo = 0x680, LastExceptionFrom = 0x688, LastExceptionTo = 0x690;

    // Within a segment record.
    public const int SegmentSelector = 0, SegmentAttributes = 2, SegmentLimit = 4, SegmentBase = 8;

    /// <summary>The record of the segment register with <see cref="JitVirt.Cpu.State.SegmentIndex"/> index <paramref name="seg"/> (ES, CS, SS, DS, FS, GS: the encoding order).</summary>
    public static int Segment(int seg) => Es + seg * 16;
}
