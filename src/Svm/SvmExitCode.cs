namespace JitVirt.Svm;

/// <summary>
/// #VMEXIT codes written to EXITCODE (AMD APM vol.2 Appendix C, Table C-1). CR/DR accesses and
/// exceptions are ranges; the instruction and event intercepts are 0x60 + the global intercept bit
/// number (word 1 bit n → 0x60 + n, word 2 bit n → 0x80 + n).
/// </summary>
public static class SvmExitCode
{
    public const int ReadCr0 = 0x00;   // 0x00–0x0F: read of CR0–CR15
    public const int WriteCr0 = 0x10;  // 0x10–0x1F: write of CR0–CR15
    public const int ReadDr0 = 0x20;   // 0x20–0x2F
    public const int WriteDr0 = 0x30;  // 0x30–0x3F
    public const int Exception0 = 0x40; // 0x40–0x5F: exception vector 0–31
    public const int PageFault = Exception0 + 14;
    public const int Intr = 0x60, Nmi = 0x61, Smi = 0x62, Init = 0x63, Vintr = 0x64, Cr0SelectiveWrite = 0x65;
    public const int IdtrRead = 0x66, GdtrRead = 0x67, LdtrRead = 0x68, TrRead = 0x69;
    public const int IdtrWrite = 0x6A, GdtrWrite = 0x6B, LdtrWrite = 0x6C, TrWrite = 0x6D;
    public const int Rdtsc = 0x6E, Rdpmc = 0x6F, Pushf = 0x70, Popf = 0x71, Cpuid = 0x72, Rsm = 0x73;
    public const int Iret = 0x74, Swint = 0x75, Invd = 0x76, Pause = 0x77, Hlt = 0x78, Invlpg = 0x79, Invlpga = 0x7A;
    public const int Ioio = 0x7B, Msr = 0x7C, TaskSwitch = 0x7D, FerrFreeze = 0x7E, Shutdown = 0x7F;
    public const int Vmrun = 0x80, Vmmcall = 0x81, Vmload = 0x82, Vmsave = 0x83, Stgi = 0x84, Clgi = 0x85, Skinit = 0x86;
    public const int Rdtscp = 0x87, Icebp = 0x88, Wbinvd = 0x89, Monitor = 0x8A, Mwait = 0x8B, MwaitConditional = 0x8C, Xsetbv = 0x8D;

    /// <summary>One past the highest code in the handler table (nested paging, 0x400, is never produced: no NPT in 2007).</summary>
    public const int TableSize = 0x8E;

    /// <summary>VMEXIT_INVALID: VMRUN's consistency checks failed (APM vol.2 §15.5.1); EXITCODE = −1.</summary>
    public const ulong Invalid = ulong.MaxValue;

    /// <summary>The exit code of intercept bit <paramref name="bit"/> of word 1.</summary>
    public static int Of(InterceptWord1 bit) => 0x60 + System.Numerics.BitOperations.TrailingZeroCount((uint)bit);

    /// <summary>The exit code of intercept bit <paramref name="bit"/> of word 2.</summary>
    public static int Of(InterceptWord2 bit) => 0x80 + System.Numerics.BitOperations.TrailingZeroCount((uint)bit);
}
