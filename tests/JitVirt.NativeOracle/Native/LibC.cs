using System.Runtime.InteropServices;

namespace JitVirt.NativeOracle.Native;

/// <summary>The few glibc entry points the native executor needs (Linux x86-64 only).</summary>
internal static unsafe partial class LibC
{
    // <sys/mman.h>, Linux x86-64 values.
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    public const int MapPrivate = 0x02, MapAnonymous = 0x20;
    /// <summary>MAP_32BIT: place the mapping in the first 2 GiB (mmap(2), x86-64 only).</summary>
    public const int Map32Bit = 0x40;
    /// <summary>MAP_FIXED_NOREPLACE (Linux 4.17+): map exactly at the hint or fail with EEXIST.</summary>
    public const int MapFixedNoReplace = 0x100000;
    public static readonly nint MapFailed = -1;

    // <signal.h> numbers on Linux x86-64.
    public const int SigIll = 4, SigTrap = 5, SigBus = 7, SigFpe = 8, SigSegv = 11;
    public const int SaSigInfo = 0x4, SaOnStack = 0x08000000, SaNoDefer = 0x40000000;
    public const int SsDisable = 2;

    /// <summary>glibc's struct sigaction on x86-64: handler (8) + sa_mask (128) + sa_flags (4) + pad (4)
    /// + sa_restorer (8) = 152 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 152)]
    public struct SigAction
    {
        [FieldOffset(0)] public nint Handler;
        [FieldOffset(136)] public int Flags;
        [FieldOffset(144)] public nint Restorer;
    }

    /// <summary>stack_t: ss_sp (8) + ss_flags (4) + pad (4) + ss_size (8).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 24)]
    public struct StackT
    {
        [FieldOffset(0)] public nint Sp;
        [FieldOffset(8)] public int Flags;
        [FieldOffset(16)] public nuint Size;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    public static partial int Sigaction(int signal, SigAction* action, SigAction* oldAction);

    /// <summary>Linux x86-64 syscall number of modify_ldt(2).</summary>
    public const long SysModifyLdt = 154;

    /// <summary>struct user_desc of modify_ldt(2) / &lt;asm/ldt.h&gt;.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UserDesc
    {
        public uint EntryNumber;
        public uint BaseAddress;
        public uint Limit;
        /// <summary>Bit fields: seg_32bit (0), contents (1–2), read_exec_only (3), limit_in_pages (4),
        /// seg_not_present (5), useable (6), lm (7).</summary>
        public uint Flags;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a, void* b, long c);

    [LibraryImport("libc", EntryPoint = "sigaltstack", SetLastError = true)]
    public static partial int Sigaltstack(StackT* stack, StackT* oldStack);
}
