using System.Runtime.InteropServices;
using JitVirt.NativeOracle.Native;

namespace JitVirt.NativeOracle;

/// <summary>
/// Runs x86 code on the host CPU (Linux x86-64 only). One read/write/execute mapping below 2 GiB holds
/// the entry/exit stubs, the code slots, the state block, and the stack and scratch blocks between guard
/// pages. Faults raised inside the mapping are caught by a machine-code signal handler and reported as
/// <see cref="OracleState.FaultVector"/> (the kernel's trapno, i.e. the exception vector) and
/// <see cref="OracleState.ErrorCode"/>; DF and MXCSR are restored before control returns to .NET.
/// </summary>
/// <remarks>An instance is not meant for concurrent use; calls are serialised by a lock. Several
/// instances may live at once (each gets its own addresses; the first one gets
/// <see cref="OracleLayout"/> at the preferred, run-to-run stable base).</remarks>
public sealed unsafe class NativeExecutor : IInstructionExecutor, IDisposable
{
    private readonly Lock _gate = new();
    private byte* _region;
    private readonly int _routerSlot;
    private readonly delegate* unmanaged<void> _enter64;
    private readonly delegate* unmanaged<void> _enter32;
    private readonly ushort _compatSelector;

    /// <summary>True when the host can run this executor (Linux on x86-64).</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public NativeExecutor()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("The native oracle needs Linux on x86-64.");
        _region = MapRegion();
        _routerSlot = -1;
        try
        {
            TransitionStubs.Build(_region);
            _enter64 = (delegate* unmanaged<void>)(_region + ExecutorRegion.Enter64);
            _enter32 = (delegate* unmanaged<void>)(_region + ExecutorRegion.Enter32);
            ulong b = (ulong)_region;
            Layout = new OracleLayout(
                CodeAddress64: b + ExecutorRegion.Slot64,
                CodeAddress32: b + ExecutorRegion.Slot32,
                ScratchAddress: b + ExecutorRegion.Scratch,
                ScratchSize: ExecutorRegion.ScratchSize,
                StackAddress: b + ExecutorRegion.Stack,
                StackSize: ExecutorRegion.StackSize);
            _routerSlot = SignalRouter.Register(b, b + ExecutorRegion.CodeEnd, b + ExecutorRegion.State);
            _compatSelector = CompatibilitySelector.Find((code, state) =>
            {
                ExecuteCore(ExecutionMode.Long64, code, state);
                return state;
            }, Layout);
            TransitionStubs.SetCompatibilitySelector(_region, _compatSelector);
        }
        catch
        {
            if (_routerSlot >= 0) SignalRouter.Unregister(_routerSlot);
            LibC.Munmap((nint)_region, ExecutorRegion.Size);
            _region = null;
            throw;
        }
    }

    /// <inheritdoc />
    public OracleLayout Layout { get; }

    /// <summary>
    /// True when this host can run <see cref="ExecutionMode.Compat32"/> code: the kernel exposes a 32-bit
    /// user code segment (GDT __USER32_CS, or an LDT segment). False on kernels without IA-32 emulation
    /// and under hypervisors that hide both (such as this project's PVM machines); Execute then throws
    /// <see cref="PlatformNotSupportedException"/> for compatibility mode.
    /// </summary>
    public bool SupportsCompat32 => _compatSelector != 0;

    /// <summary>The 32-bit code selector used for compatibility mode (0 if none).</summary>
    public ushort CompatibilityCodeSelector => _compatSelector;

    /// <inheritdoc />
    public void Execute(ExecutionMode mode, byte[] code, OracleState state)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(state);
        if (code.Length > OracleLayout.MaxCodeLength)
            throw new ArgumentException($"Code longer than {OracleLayout.MaxCodeLength} bytes.", nameof(code));
        if (state.Scratch.Length != Layout.ScratchSize || state.Stack.Length != Layout.StackSize)
            throw new ArgumentException("State was not created for this executor's layout.", nameof(state));

        if (mode == ExecutionMode.Compat32 && !SupportsCompat32)
            throw new PlatformNotSupportedException("This host exposes no 32-bit user code segment, so compatibility mode cannot run natively.");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_region == null, this);
            ExecuteCore(mode, code, state);
        }
    }

    private void ExecuteCore(ExecutionMode mode, byte[] code, OracleState state)
    {
        AlternateSignalStack.EnsureForCurrentThread();
        bool compat = mode == ExecutionMode.Compat32;
        byte* block = _region + ExecutorRegion.State;
        LoadState(block, state);
        TransitionStubs.PlaceInSlot(_region, mode, code);
        *(long*)(block + StateBlock.Signal) = 0;
        *(ulong*)(block + StateBlock.RecoverRip) = (ulong)(_region + (compat ? ExecutorRegion.Exit32 : ExecutorRegion.Exit64));
        if (compat) _enter32(); else _enter64();
        StoreState(block, state, compat);
    }

    private void LoadState(byte* block, OracleState state)
    {
        ulong* gpr = (ulong*)(block + StateBlock.Gpr);
        for (int i = 0; i < GprIndex.Count; i++) gpr[i] = state.Gpr[i];
        *(ulong*)(block + StateBlock.Rflags) = (state.Rflags & X86Flags.GuestControlled) | X86Flags.Reserved1;
        *(uint*)(block + StateBlock.Mxcsr) = state.Mxcsr & OracleState.MxcsrMask;
        XmmRegister* xmm = (XmmRegister*)(block + StateBlock.Xmm);
        for (int i = 0; i < 16; i++) xmm[i] = state.Xmm[i];
        state.Scratch.AsSpan().CopyTo(new Span<byte>(_region + ExecutorRegion.Scratch, ExecutorRegion.ScratchSize));
        state.Stack.AsSpan().CopyTo(new Span<byte>(_region + ExecutorRegion.Stack, ExecutorRegion.StackSize));
    }

    private void StoreState(byte* block, OracleState state, bool compat)
    {
        ulong* gpr = (ulong*)(block + StateBlock.Gpr);
        if (compat)
        {
            // Only the legacy eight are visible; their upper halves are undefined after returning to
            // 64-bit mode (SDM vol. 1 §3.4.1.1), so report them as zero.
            for (int i = 0; i < GprIndex.LegacyCount; i++) state.Gpr[i] = (uint)gpr[i];
        }
        else
        {
            for (int i = 0; i < GprIndex.Count; i++) state.Gpr[i] = gpr[i];
        }
        state.Rflags = (*(ulong*)(block + StateBlock.Rflags) & X86Flags.Reported) | X86Flags.Reserved1;
        state.Mxcsr = *(uint*)(block + StateBlock.Mxcsr);
        XmmRegister* xmm = (XmmRegister*)(block + StateBlock.Xmm);
        for (int i = 0; i < (compat ? 8 : 16); i++) state.Xmm[i] = xmm[i];
        new ReadOnlySpan<byte>(_region + ExecutorRegion.Scratch, ExecutorRegion.ScratchSize).CopyTo(state.Scratch);
        new ReadOnlySpan<byte>(_region + ExecutorRegion.Stack, ExecutorRegion.StackSize).CopyTo(state.Stack);

        if (*(long*)(block + StateBlock.Signal) == 0)
        {
            state.ClearOutcome();
            return;
        }
        ulong faultRip = *(ulong*)(block + StateBlock.FaultRip);
        ulong slot = (ulong)(_region + (compat ? ExecutorRegion.Slot32 : ExecutorRegion.Slot64));
        if (faultRip < slot || faultRip >= slot + ExecutorRegion.SlotCapacity)
            throw new InvalidOperationException(
                $"Fault (trap {*(long*)(block + StateBlock.TrapNumber)}, error 0x{*(ulong*)(block + StateBlock.ErrorCode):X}) " +
                $"in the executor's transition stub at 0x{faultRip:X}, not in the code under test.");
        // The kernel records the exception vector in trapno and the hardware error code in err
        // (arch/x86/kernel/traps.c); CR2 is only meaningful for #PF.
        state.FaultVector = (int)*(long*)(block + StateBlock.TrapNumber);
        state.ErrorCode = *(ulong*)(block + StateBlock.ErrorCode);
        state.FaultAddress = state.FaultVector == FaultVectors.PageFault ? *(ulong*)(block + StateBlock.Cr2) : 0;
    }

    private static byte* MapRegion()
    {
        const int rwx = LibC.ProtRead | LibC.ProtWrite | LibC.ProtExec;
        nint region = LibC.MapFailed;
        for (int i = 0; i < ExecutorRegion.PreferredAttempts && region == LibC.MapFailed; i++)
        {
            nint hint = (nint)(ExecutorRegion.PreferredBase + (ulong)i * ExecutorRegion.PreferredStride);
            nint p = LibC.Mmap(hint, ExecutorRegion.Size, rwx,
                LibC.MapPrivate | LibC.MapAnonymous | LibC.MapFixedNoReplace, -1, 0);
            if (p == LibC.MapFailed) continue;
            if (p != hint) { LibC.Munmap(p, ExecutorRegion.Size); continue; } // kernel without NOREPLACE
            region = p;
        }
        if (region == LibC.MapFailed)
            region = LibC.Mmap(0, ExecutorRegion.Size, rwx, LibC.MapPrivate | LibC.MapAnonymous | LibC.Map32Bit, -1, 0);
        if (region == LibC.MapFailed)
            throw new InvalidOperationException($"mmap of the oracle region failed (errno {Marshal.GetLastPInvokeError()}).");
        if ((ulong)region + ExecutorRegion.Size > ExecutorRegion.AddressLimit)
        {
            LibC.Munmap(region, ExecutorRegion.Size);
            throw new InvalidOperationException("The oracle region is not below 2 GiB.");
        }

        const int rw = LibC.ProtRead | LibC.ProtWrite;
        Protect(region, ExecutorRegion.State, rw);
        Protect(region, ExecutorRegion.Stack - ExecutorRegion.PageSize, LibC.ProtNone);
        Protect(region, ExecutorRegion.Stack, rw);
        Protect(region, ExecutorRegion.Stack + ExecutorRegion.PageSize, LibC.ProtNone);
        Protect(region, ExecutorRegion.Scratch, rw);
        Protect(region, ExecutorRegion.Scratch + ExecutorRegion.PageSize, LibC.ProtNone);
        return (byte*)region;
    }

    private static void Protect(nint region, int offset, int protection)
    {
        if (LibC.Mprotect(region + offset, ExecutorRegion.PageSize, protection) != 0)
            throw new InvalidOperationException($"mprotect at +0x{offset:X} failed.");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_region == null) return;
            SignalRouter.Unregister(_routerSlot);
            LibC.Munmap((nint)_region, ExecutorRegion.Size);
            _region = null;
        }
    }
}
