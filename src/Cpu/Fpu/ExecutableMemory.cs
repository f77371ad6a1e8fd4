using System.Runtime.InteropServices;

namespace JitVirt.Cpu.Fpu;

/// <summary>
/// One allocation of fixed host machine code, made executable: written while read-write, then
/// switched to read-execute, so it is never writable and executable at once. Linux (mmap/mprotect)
/// and Windows (VirtualAlloc/VirtualProtect) only; elsewhere, or when the system refuses executable
/// memory (e.g. a policy against it), <see cref="TryCreate"/> returns null and callers take their
/// portable path. The allocation lives as long as the process.
/// </summary>
static unsafe partial class ExecutableMemory
{
    // <sys/mman.h>, Linux values.
    const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    const int MapPrivate = 0x02, MapAnonymous = 0x20;
    // <winnt.h>.
    const uint MemCommit = 0x1000, MemReserve = 0x2000, PageReadWrite = 0x04, PageExecuteRead = 0x20;

    /// <summary>Copies <paramref name="code"/> into fresh executable memory; null when the host cannot provide it.</summary>
    public static byte* TryCreate(ReadOnlySpan<byte> code)
    {
        try
        {
            if (OperatingSystem.IsLinux()) return CreateLinux(code);
            if (OperatingSystem.IsWindows()) return CreateWindows(code);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return null;
    }

    static byte* CreateLinux(ReadOnlySpan<byte> code)
    {
        nuint size = PageRounded(code.Length);
        nint p = Mmap(0, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == -1 || p == 0) return null;
        code.CopyTo(new Span<byte>((void*)p, code.Length));
        if (Mprotect(p, size, ProtRead | ProtExec) != 0) { Munmap(p, size); return null; }
        return (byte*)p;
    }

    static byte* CreateWindows(ReadOnlySpan<byte> code)
    {
        nuint size = PageRounded(code.Length);
        nint p = VirtualAlloc(0, size, MemCommit | MemReserve, PageReadWrite);
        if (p == 0) return null;
        code.CopyTo(new Span<byte>((void*)p, code.Length));
        uint old;
        if (VirtualProtect(p, size, PageExecuteRead, &old) == 0) return null;
        FlushInstructionCache(GetCurrentProcess(), p, size);
        return (byte*)p;
    }

    static nuint PageRounded(int length) => (nuint)((length + 4095) & ~4095);

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("kernel32")]
    private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32")]
    private static partial int VirtualProtect(nint address, nuint size, uint newProtect, uint* oldProtect);

    [LibraryImport("kernel32")]
    private static partial int FlushInstructionCache(nint process, nint address, nuint size);

    [LibraryImport("kernel32")]
    private static partial nint GetCurrentProcess();
}
