using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.NativeOracle.Native;

/// <summary>
/// One process-wide handler for SIGSEGV, SIGFPE, SIGILL, SIGBUS and SIGTRAP, written in machine code
/// (no managed code may run in signal context). It looks the faulting RIP up in a table of registered
/// executor code pages; on a hit it copies trapno/err/cr2 from the kernel's saved context into that
/// executor's state block and resumes at the executor's exit stub in 64-bit mode. Any other fault is
/// passed on to the handler that was installed before (the .NET runtime's), so managed
/// NullReferenceException etc. keep working. Installed with the first registration, removed with the last.
/// </summary>
internal static unsafe class SignalRouter
{
    private const int MaxRegions = 64;
    private const int EntrySize = 24;               // code start, code end, state block address
    private const int HandlerOffset = 0;
    private const int PreviousHandlersOffset = 0x1000; // 64 × 8: previous handler per signal number
    private const int DefaultActionOffset = 0x1200;    // kernel struct sigaction of SIG_DFL (all zero)
    private const int TableOffset = 0x1400;            // MaxRegions × EntrySize
    private const int MappingSize = 0x2000;
    private const int SysRtSigaction = 13;             // Linux x86-64 syscall number of rt_sigaction
    private const int KernelSigsetSize = 8;

    private static readonly int[] Signals = [LibC.SigIll, LibC.SigTrap, LibC.SigBus, LibC.SigFpe, LibC.SigSegv];
    private static readonly LibC.SigAction[] Previous = new LibC.SigAction[32];
    private static readonly Lock Gate = new();
    private static byte* _mapping;
    private static int _registered;

    /// <summary>Routes faults with RIP in [<paramref name="codeStart"/>, <paramref name="codeEnd"/>) to
    /// <paramref name="stateBlock"/>. Returns the table slot to pass to <see cref="Unregister"/>.</summary>
    public static int Register(ulong codeStart, ulong codeEnd, ulong stateBlock)
    {
        lock (Gate)
        {
            if (_mapping == null) CreateMapping();
            ulong* table = (ulong*)(_mapping + TableOffset);
            for (int slot = 0; slot < MaxRegions; slot++)
            {
                ulong* entry = table + 3 * slot;
                if (entry[1] != 0) continue;
                entry[2] = stateBlock;
                entry[0] = codeStart;
                Volatile.Write(ref entry[1], codeEnd); // a non-zero end makes the entry live
                if (_registered++ == 0) Install();
                return slot;
            }
            throw new InvalidOperationException($"More than {MaxRegions} native executors alive at once.");
        }
    }

    public static void Unregister(int slot)
    {
        lock (Gate)
        {
            ulong* entry = (ulong*)(_mapping + TableOffset) + 3 * slot;
            Volatile.Write(ref entry[1], 0UL);
            entry[0] = 0;
            entry[2] = 0;
            if (--_registered == 0) Uninstall();
        }
    }

    private static void CreateMapping()
    {
        nint p = LibC.Mmap(0, MappingSize, LibC.ProtRead | LibC.ProtWrite | LibC.ProtExec,
            LibC.MapPrivate | LibC.MapAnonymous, -1, 0);
        if (p == LibC.MapFailed) throw new InvalidOperationException("mmap for the signal handler failed.");
        _mapping = (byte*)p;
        MachineCode.Place(BuildHandler(), _mapping + HandlerOffset, PreviousHandlersOffset);
    }

    // void handler(int sig /*rdi*/, siginfo_t* info /*rsi*/, ucontext_t* uc /*rdx*/)
    private static Assembler BuildHandler()
    {
        ulong table = (ulong)(_mapping + TableOffset);
        ulong previous = (ulong)(_mapping + PreviousHandlersOffset);
        ulong defaultAction = (ulong)(_mapping + DefaultActionOffset);
        var a = new Assembler(64);
        var next = a.CreateLabel();
        var loop = a.CreateLabel();
        var found = a.CreateLabel();
        var notOurs = a.CreateLabel();
        var noPrevious = a.CreateLabel();

        a.mov(rax, __qword_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegRip)]);
        a.mov(r8, table);
        a.mov(ecx, MaxRegions);
        a.Label(ref loop);
        a.cmp(rax, __qword_ptr[r8]);
        a.jb(next);
        a.cmp(rax, __qword_ptr[r8 + 8]);
        a.jb(found);
        a.Label(ref next);
        a.add(r8, EntrySize);
        a.dec(ecx);
        a.jnz(loop);
        a.jmp(notOurs);

        a.Label(ref found);
        a.mov(r9, __qword_ptr[r8 + 16]); // state block
        a.mov(ecx, edi);
        a.mov(__qword_ptr[r9 + StateBlock.Signal], rcx);
        a.mov(rcx, __qword_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegTrapno)]);
        a.mov(__qword_ptr[r9 + StateBlock.TrapNumber], rcx);
        a.mov(rcx, __qword_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegErr)]);
        a.mov(__qword_ptr[r9 + StateBlock.ErrorCode], rcx);
        a.mov(rcx, __qword_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegCr2)]);
        a.mov(__qword_ptr[r9 + StateBlock.Cr2], rcx);
        a.mov(__qword_ptr[r9 + StateBlock.FaultRip], rax);
        a.mov(rcx, __qword_ptr[r9 + StateBlock.RecoverRip]);
        a.mov(__qword_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegRip)], rcx);
        // Resume in 64-bit mode even when the fault hit compatibility-mode code.
        a.mov(__word_ptr[rdx + LinuxSignalFrame.Greg(LinuxSignalFrame.RegCsGsFs)], LinuxSignalFrame.User64CodeSelector);
        a.ret();

        a.Label(ref notOurs);
        a.mov(ecx, edi);
        a.mov(rax, previous);
        a.mov(rax, __qword_ptr[rax + rcx * 8]);
        a.cmp(rax, 1); // SIG_DFL = 0, SIG_IGN = 1
        a.jbe(noPrevious);
        a.jmp(rax);    // tail call with the original (sig, info, uc)

        // No previous handler: restore the default action and return, so the instruction re-executes
        // and the kernel applies it (terminate / core dump) as if we had never been installed.
        a.Label(ref noPrevious);
        a.mov(eax, SysRtSigaction);
        a.mov(rsi, defaultAction);
        a.xor(edx, edx);
        a.mov(r10d, KernelSigsetSize);
        a.syscall();
        a.ret();
        return a;
    }

    private static void Install()
    {
        foreach (int signal in Signals)
        {
            var action = new LibC.SigAction
            {
                Handler = (nint)(_mapping + HandlerOffset),
                // SA_ONSTACK: the guest's RSP is arbitrary, so run on the thread's alternate stack.
                Flags = LibC.SaSigInfo | LibC.SaOnStack | LibC.SaNoDefer,
            };
            LibC.SigAction old;
            if (LibC.Sigaction(signal, &action, &old) != 0)
                throw new InvalidOperationException($"sigaction({signal}) failed.");
            Previous[signal] = old;
            ((nint*)(_mapping + PreviousHandlersOffset))[signal] = old.Handler;
        }
    }

    private static void Uninstall()
    {
        foreach (int signal in Signals)
        {
            var old = Previous[signal];
            LibC.Sigaction(signal, &old, null);
        }
    }
}
