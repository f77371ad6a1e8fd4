using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;
using JitVirt.Frontend;

namespace JitVirt.Cpu.Execution;

/// <summary>
/// Tier 0: runs decoded blocks instruction by instruction through the handler table. Blocks are
/// cached per guest-physical address and dropped when their frame is written. Between
/// instructions it only tests <see cref="Cpu.Pending"/>; everything unusual (faults, mode changes,
/// code writes, interrupts, HLT) sets a bit there.
/// </summary>
public sealed unsafe class Interpreter : IExecutor
{
    readonly Cpu _cpu;
    readonly BlockDecoder _decoder = new();
    readonly byte[] _fetchBuffer = new byte[4096];

    public BlockCache Blocks { get; } = new();

    /// <summary>Faults <see cref="Run"/> has delivered and charged to its budget (an executor layered on this one charges the same).</summary>
    public long FaultsCharged { get; private set; }

    public Interpreter(Cpu cpu)
    {
        _cpu = cpu;
        HandlerTable.EnsureInitialized();
        cpu.CodeFrameInvalidated += Blocks.InvalidateFrame;
        cpu.TlbFlushed += Blocks.FlushJumpCache;
        cpu.TranslatedCodeInvalidated += Blocks.Clear;
        cpu.TranslationTagChanged += Blocks.SwitchTag;
        Blocks.SwitchTag(cpu.TranslationTag);
    }

    /// <summary>
    /// Set when an interrupt check found the interrupt shadow up (STI, MOV SS): the inputs are looked
    /// at again right after the next instruction, when the shadow has gone (SDM vol.3 §7.8.3).
    /// </summary>
    bool _recheckInterruptsAfterNext;

    /// <summary>Runs until <paramref name="maxInstructions"/> have retired or something stops the processor.</summary>
    public StopReason Run(long maxInstructions)
    {
        var cpu = _cpu;
        long budgetEnd = cpu.InstructionsRetired + maxInstructions;
        while (cpu.InstructionsRetired < budgetEnd)
        {
            if (cpu.Pending != 0)
            {
                // A delivered fault retires nothing; charge it to the budget so a guest that
                // faults on every instruction still returns.
                if (cpu.Faulted) { budgetEnd--; FaultsCharged++; }
                var stop = ServiceEvents();
                if (stop is { } reason) return reason;
            }
            if (cpu.Halted)
            {
                if (!TryWakeFromHalt()) return StopReason.Halted;
                continue;
            }
            var block = FindBlock();
            if (block is null) continue; // the fetch faulted; the fault is pending
            if ((cpu.RflagsStatic & Rflags.TF) != 0) RunSingleStep(block);
            else if (_recheckInterruptsAfterNext) RunOneThenRecheck(block);
            else RunBlock(block, budgetEnd);
        }
        return StopReason.BudgetExhausted;
    }

    /// <summary>
    /// Executes exactly one instruction at RIP (a REP string instruction until it completes) and
    /// does not deliver a fault it raises: the fault stays in <see cref="Cpu.PendingException"/>
    /// with the state as the SDM leaves it at a fault. For oracle and lockstep comparisons.
    /// Returns false when the instruction (or its fetch) faulted.
    /// </summary>
    public bool StepWithoutDelivery(int maxRepeats = 1 << 20)
    {
        var cpu = _cpu;
        for (int repeat = 0; repeat < maxRepeats; repeat++)
        {
            cpu.Pending &= ~(PendingEvent.ModeChanged | PendingEvent.CodeInvalidated | PendingEvent.InterruptCheck);
            var block = FindBlock();
            if (block is null) return false;
            ref readonly Instruction insn = ref block.Instructions[0];
            ulong startRip = cpu.Rip;
            cpu.CodeDelta = cpu.Rip - block.DecodeRip;
            cpu.NextRip = (insn.NextIP + cpu.CodeDelta) & cpu.IpMask;
            cpu.InterruptShadow = false;
            ((delegate*<Cpu, in Instruction, void>)block.Handlers![0])(cpu, in insn);
            if (cpu.Faulted) return false;
            cpu.Rip = cpu.NextRip;
            cpu.InstructionsRetired++;
            // A REP string instruction that stopped early to stay interruptible resumes at itself.
            if (cpu.Rip != startRip || !IsRepString(insn)) return true;
        }
        return true;
    }

    static bool IsRepString(in Instruction insn) => (insn.HasRepPrefix || insn.HasRepnePrefix) && insn.IsStringInstruction;

    void RunBlock(DecodedBlock block, long budgetEnd)
    {
        var cpu = _cpu;
        var insns = block.Instructions;
        var handlers = block.Handlers!;
        ulong delta = cpu.Rip - block.DecodeRip;
        cpu.CodeDelta = delta;
        ulong ipMask = cpu.IpMask;
        block.ExecutionCount++;
        int n = insns.Length;
        for (int k = 0; k < n; k++)
        {
            ref readonly Instruction insn = ref insns[k];
            cpu.NextRip = (insn.NextIP + delta) & ipMask;
            cpu.InterruptShadow = false;
            ((delegate*<Cpu, in Instruction, void>)handlers[k])(cpu, in insn);
            if (cpu.Pending != 0)
            {
                if (!cpu.Faulted) { cpu.Rip = cpu.NextRip; cpu.InstructionsRetired++; }
                return;
            }
            cpu.Rip = cpu.NextRip;
            cpu.InstructionsRetired++;
            if (cpu.InstructionsRetired >= budgetEnd) return;
        }
    }

    /// <summary>The instruction under an interrupt shadow, then a fresh look at the interrupt inputs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void RunOneThenRecheck(DecodedBlock block)
    {
        _recheckInterruptsAfterNext = false;
        RunBlock(block, _cpu.InstructionsRetired + 1);
        _cpu.Pending |= PendingEvent.InterruptCheck;
    }

    /// <summary>EFLAGS.TF was set when the instruction began: after it completes, a single-step #DB trap (SDM vol.3 §18.3.1.4).</summary>
    void RunSingleStep(DecodedBlock block)
    {
        var cpu = _cpu;
        ref readonly Instruction insn = ref block.Instructions[0];
        cpu.CodeDelta = cpu.Rip - block.DecodeRip;
        cpu.NextRip = (insn.NextIP + cpu.CodeDelta) & cpu.IpMask;
        cpu.InterruptShadow = false;
        ((delegate*<Cpu, in Instruction, void>)block.Handlers![0])(cpu, in insn);
        if (cpu.Faulted) return;
        cpu.Rip = cpu.NextRip;
        cpu.InstructionsRetired++;
        cpu.Dr[6] |= 1ul << 14; // DR6.BS (SDM vol.3 §18.2.3)
        cpu.RaiseFault(ExceptionVector.Debug);
        cpu.PendingException.IsTrap = true;
        cpu.NextRip = cpu.Rip;
    }

    /// <summary>Handles <see cref="Cpu.Pending"/> bits between instructions; returns a reason to stop, or null to go on.</summary>
    StopReason? ServiceEvents()
    {
        var cpu = _cpu;
        var p = cpu.Pending;
        if ((p & PendingEvent.Exception) != 0)
        {
            cpu.DeliverPendingException();
            p = cpu.Pending;
        }
        if ((p & PendingEvent.Shutdown) != 0) return StopReason.Shutdown;
        cpu.Pending &= ~(PendingEvent.ModeChanged | PendingEvent.CodeInvalidated | PendingEvent.InterruptCheck);
        if ((p & PendingEvent.Halt) != 0)
        {
            cpu.Pending &= ~PendingEvent.Halt;
            cpu.Halted = true;
        }
        if ((p & PendingEvent.ExitRequested) != 0)
        {
            cpu.Pending &= ~PendingEvent.ExitRequested;
            return StopReason.ExitRequested;
        }
        if (cpu.Pending != 0 && (cpu.Pending & PendingEvent.Exception) != 0) return ServiceEvents();
        TryDeliverInterrupt();
        return (cpu.Pending & PendingEvent.Shutdown) != 0 ? StopReason.Shutdown : null;
    }

    /// <summary>Delivers an NMI or a maskable interrupt if one is pending and not blocked (SDM vol.3 §7.8).</summary>
    bool TryDeliverInterrupt()
    {
        var cpu = _cpu;
        if (cpu.InterruptShadow) _recheckInterruptsAfterNext = true;
        // Under a front end, interrupts are its business: it takes INTR/VINTR exits and injects.
        if (cpu.Intercepts is { } controller) return controller.OnInterruptCheck(cpu);
        var src = cpu.Interrupts;
        if (src is null || cpu.InterruptShadow) return false;
        if (src.HasPendingNmi && !cpu.NmiBlocked)
        {
            src.AcknowledgeNmi();
            cpu.DeliverNmi();
            return true;
        }
        if (!cpu.InterruptFlag || !src.HasPendingInterrupt) return false;
        byte vector = src.AcknowledgeInterrupt();
        cpu.DeliverExternalInterrupt(vector);
        return true;
    }

    bool TryWakeFromHalt()
    {
        if (_cpu.Intercepts is { } controller)
        {
            controller.OnInterruptCheck(_cpu);
            return !_cpu.Halted;
        }
        var src = _cpu.Interrupts;
        if (src is null) return false;
        if ((src.HasPendingNmi && !_cpu.NmiBlocked) || (_cpu.InterruptFlag && src.HasPendingInterrupt))
        {
            _cpu.Halted = false;
            TryDeliverInterrupt();
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ block lookup

    /// <summary>
    /// The block at CS:RIP, decoded now if it is not cached; null when the fetch faulted (the fault
    /// is pending). For executors layered on this one (the IL tier's lockstep step).
    /// </summary>
    public DecodedBlock? FetchBlock() => FindBlock();

    DecodedBlock? FindBlock()
    {
        var cpu = _cpu;
        ulong linear = CodeLinear(cpu);
        bool user = cpu.Cpl == 3;
        var mode = cpu.CodeMode;
        var block = Blocks.LookupLinear(linear, mode, user);
        if (block is not null) return block;
        return FindBlockSlow(linear, mode, user);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong CodeLinear(Cpu cpu)
    {
        ulong lin = cpu.Segments[SegmentIndex.Cs].Base + cpu.Rip;
        return cpu.Is64BitMode ? lin : lin & 0xFFFF_FFFF;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    DecodedBlock? FindBlockSlow(ulong linear, CodeMode mode, bool user)
    {
        var cpu = _cpu;
        if (!CheckCodeLimit(cpu)) return null;
        if (!cpu.TranslateLinear(linear, AccessKind.Execute, user, out ulong physical)) return null;
        var block = Blocks.LookupPhysical(physical, mode);
        if (block is null)
        {
            block = Decode(linear, physical, mode, user);
            if (block is null) return null;
        }
        Blocks.RememberLinear(linear, mode, user, block);
        return block;
    }

    /// <summary>CS limit check on fetch in legacy modes (SDM vol.3 §6.3): #GP(0) when RIP is beyond CS.limit.</summary>
    static bool CheckCodeLimit(Cpu cpu)
    {
        if (cpu.Is64BitMode) return true;
        if (cpu.Rip > cpu.Segments[SegmentIndex.Cs].Limit) { cpu.RaiseGeneralProtection(0); return false; }
        return true;
    }

    /// <summary>
    /// For region formation in a layered executor: the block whose first instruction is at
    /// <paramref name="rip"/> and at <paramref name="physical"/>, an address on the page the
    /// current block (at cpu.Rip) runs from, in the current code mode — cached, or decoded now.
    /// Raises nothing and remembers no linear lookup: null when the block's first instruction
    /// crosses into a page that cannot be fetched (a real fetch there raises the fault).
    /// </summary>
    public DecodedBlock? PeekBlockOnPage(ulong rip, ulong physical)
    {
        var cpu = _cpu;
        var mode = cpu.CodeMode;
        var block = Blocks.LookupPhysical(physical, mode);
        if (block is not null) return block;
        ulong linear = CodeLinear(cpu) + (rip - cpu.Rip);
        if (!cpu.Is64BitMode) linear &= 0xFFFF_FFFF;
        return Decode(linear, physical, mode, cpu.Cpl == 3, rip, raiseOnEmpty: false);
    }

    DecodedBlock? Decode(ulong linear, ulong physical, CodeMode mode, bool user)
        => Decode(linear, physical, mode, user, _cpu.Rip, raiseOnEmpty: true);

    DecodedBlock? Decode(ulong linear, ulong physical, CodeMode mode, bool user, ulong rip, bool raiseOnEmpty)
    {
        var cpu = _cpu;
        ulong frame = physical >> 12;
        int inPage = 4096 - (int)(physical & 0xFFF);
        ReadOnlySpan<byte> bytes;
        byte* host = cpu.Physical.FramePointer(frame << 12);
        if (host != null) bytes = new ReadOnlySpan<byte>(host + (physical & 0xFFF), inPage);
        else
        {
            cpu.Physical.ReadBytes(physical, _fetchBuffer.AsSpan(0, inPage));
            bytes = _fetchBuffer.AsSpan(0, inPage);
        }
        ulong nextLinear = (linear & ~0xFFFul) + 4096;
        byte[]? FetchNext()
        {
            // Only called when an instruction crosses into the next page.
            if (!cpu.TryTranslateQuietly(cpu.Is64BitMode ? nextLinear : nextLinear & 0xFFFF_FFFF, AccessKind.Execute, user, out ulong pa2)) return null;
            var buf = new byte[16];
            cpu.Physical.ReadBytes(pa2, buf);
            return buf;
        }
        var block = _decoder.Decode(bytes, FetchNext, physical, mode, rip);
        if (block.Instructions.Length == 0)
        {
            if (!raiseOnEmpty) return null;
            // The first instruction crosses into a page that cannot be fetched: raise that page's #PF.
            cpu.TranslateLinear(cpu.Is64BitMode ? nextLinear : nextLinear & 0xFFFF_FFFF, AccessKind.Execute, user, out _);
            if (!cpu.Faulted) cpu.RaiseGeneralProtection(0);
            return null;
        }
        var handlers = new nint[block.Instructions.Length];
        for (int k = 0; k < handlers.Length; k++)
        {
            var insn = block.Instructions[k];
            handlers[k] = insn.IsInvalid ? (nint)(delegate*<Cpu, in Instruction, void>)&InvalidInstruction
                : cpu.Intercepts is { } controller && controller.MayIntercept(in insn) ? InterceptStubs.For(in insn)
                : (nint)HandlerTable.Handlers[(int)insn.Code];
        }
        block.Handlers = handlers;
        cpu.ProtectCodeFrame(block.FirstPhysicalPage);
        if (block.LastPhysicalPage != block.FirstPhysicalPage) cpu.ProtectCodeFrame(block.LastPhysicalPage);
        Blocks.Add(block);
        return block;
    }

    /// <summary>Bytes that do not decode to an instruction: #UD (SDM vol.2 §2.x; longer than 15 bytes is #GP, treated alike here).</summary>
    static void InvalidInstruction(Cpu cpu, in Instruction i) => cpu.RaiseInvalidOpcode();
}
