namespace JitVirt.NativeOracle.Native;

/// <summary>
/// Offsets into the Linux x86-64 <c>ucontext_t</c> handed to an SA_SIGINFO handler
/// (glibc &lt;sys/ucontext.h&gt;: uc_flags 8, uc_link 8, uc_stack 24, then mcontext_t whose first member
/// is gregs[23]).
/// </summary>
internal static class LinuxSignalFrame
{
    /// <summary>Byte offset of uc_mcontext.gregs inside ucontext_t.</summary>
    public const int Gregs = 40;

    // gregs indices (REG_* in <sys/ucontext.h>).
    public const int RegRip = 16;
    /// <summary>CS in bits 0–15, GS 16–31, FS 32–47 of this slot.</summary>
    public const int RegCsGsFs = 18;
    public const int RegErr = 19;
    public const int RegTrapno = 20;
    public const int RegCr2 = 22;

    /// <summary>Byte offset of gregs[<paramref name="index"/>] inside ucontext_t.</summary>
    public static int Greg(int index) => Gregs + 8 * index;

    /// <summary>Linux __USER_CS: the flat 64-bit user code selector (arch/x86/include/asm/segment.h).</summary>
    public const ushort User64CodeSelector = 0x33;
    /// <summary>Linux __USER32_CS: the flat 32-bit user code selector used for compatibility mode.</summary>
    public const ushort User32CodeSelector = 0x23;
    /// <summary>Linux __USER_DS: the flat user data selector (64-bit tasks run with DS = ES = 0, which
    /// compatibility mode cannot use for data accesses).</summary>
    public const ushort UserDataSelector = 0x2B;
}
