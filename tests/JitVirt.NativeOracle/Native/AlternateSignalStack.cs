namespace JitVirt.NativeOracle.Native;

/// <summary>
/// Makes sure the calling thread has an alternate signal stack (sigaltstack(2)), because a fault in
/// guest code is delivered while RSP holds a guest value. CoreCLR normally gives every thread one; when
/// a thread has none, one is created and left in place for the life of the thread.
/// </summary>
internal static unsafe class AlternateSignalStack
{
    private const int Size = 0x10000; // well above MINSIGSTKSZ plus the largest XSAVE frame

    [ThreadStatic] private static bool _ensured;

    public static void EnsureForCurrentThread()
    {
        if (_ensured) return;
        LibC.StackT current;
        if (LibC.Sigaltstack(null, &current) != 0)
            throw new InvalidOperationException("sigaltstack query failed.");
        if ((current.Flags & LibC.SsDisable) != 0)
        {
            nint memory = LibC.Mmap(0, Size, LibC.ProtRead | LibC.ProtWrite, LibC.MapPrivate | LibC.MapAnonymous, -1, 0);
            if (memory == LibC.MapFailed) throw new InvalidOperationException("mmap for the alternate signal stack failed.");
            var stack = new LibC.StackT { Sp = memory, Size = Size, Flags = 0 };
            if (LibC.Sigaltstack(&stack, null) != 0)
                throw new InvalidOperationException("sigaltstack install failed.");
        }
        _ensured = true;
    }
}
