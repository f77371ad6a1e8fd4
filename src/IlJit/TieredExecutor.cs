using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Frontend;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.IlJit;

/// <summary>
/// Two-tier executor, built around an <see cref="Interpreter"/> by composition: blocks come from
/// the interpreter's <see cref="BlockCache"/>; a block entered <see cref="Threshold"/> times
/// becomes the head of a <see cref="Region"/> (it and the blocks it reaches on its page, at most
/// <see cref="MaxRegionInstructions"/>), compiled — on the spot or on a compile thread
/// (<see cref="Compilation"/>) — and its body kept in a bounded table keyed by the head
/// (<see cref="LiveBodies"/>), so a block dropped by invalidation drops its body with it. Bodies are installed and chosen only between blocks, and a
/// block runs the same in both tiers, so when a body appears never changes what the guest sees.
/// Events, HLT, single-step and blocks not yet decoded go through <see cref="Interpreter.Run"/>
/// one instruction at a time.
/// </summary>
public sealed unsafe class TieredExecutor : IExecutor, IDisposable
{
    readonly CpuT _cpu;
    readonly Interpreter _interpreter;
    readonly ChainState _chain = new();
    readonly CompileStatistics _statistics = new();
    readonly HashSet<DecodedBlock> _queued = new(ReferenceEqualityComparer.Instance);
    LiveBodies? _live;
    RewriteDemotion? _demotion;
    BackgroundCompiler? _compiler;

    public TieredExecutor(CpuT cpu, Interpreter interpreter, long threshold)
    {
        _cpu = cpu;
        _interpreter = interpreter;
        Threshold = threshold;
        interpreter.Blocks.BlockInvalidated += Unlink;
        // After the interpreter's own handler (it subscribed first): the blocks are gone by now.
        cpu.CodeFrameInvalidated += frame => Demotion.FrameWritten(frame);
    }

    /// <summary>When false, compiled blocks never link to each other (every block returns to the dispatcher).</summary>
    public bool Chaining { get; init; } = true;

    /// <summary>Where and when hot blocks are compiled.</summary>
    public CompileMode Compilation { get; init; } = CompileMode.Synchronous;

    /// <summary>Blocks requested from the compile thread and not yet installed, at most; a request beyond it is dropped (<see cref="CompileQueueDrops"/>) and made again at the block's next entry.</summary>
    public int CompileQueueCapacity { get; init; } = 256;

    /// <summary>Compiled bodies kept at most; beyond it the least recently run are evicted (<see cref="BodiesEvicted"/>).</summary>
    public int MaxLiveBodies { get; init; } = 8192;

    /// <summary>Rewrites of a frame with compiled code tolerated; one more and its blocks stay interpreted (<see cref="DemotedFrames"/>).</summary>
    public int DemoteAfterRewrites { get; init; } = 8;

    /// <summary>
    /// Instructions a region may hold (the head block always fits): 1 compiles single blocks, as the
    /// tier did before regions.
    /// </summary>
    public int MaxRegionInstructions { get; init; } = DefaultMaxRegionInstructions;

    /// <summary>
    /// The region cap: compiling a region costs less than compiling its blocks one by one up to
    /// 64 instructions (0.63× at 64), but the .NET JIT's cost grows faster than the method beyond
    /// that (1.8× the blocks' cost at 256); the compute loops all fit well within 64. Decision 0010.
    /// </summary>
    public const int DefaultMaxRegionInstructions = 64;

    /// <summary>Member blocks of all regions compiled (heads included).</summary>
    public long RegionBlocksCompiled { get; private set; }

    /// <summary>Links made between compiled blocks (each a slot patched to a successor).</summary>
    public long LinksMade { get; private set; }

    /// <summary>A block is compiled when it is entered with ExecutionCount ≥ this.</summary>
    public long Threshold { get; }

    /// <summary>
    /// The threshold for real runs (tests use 0). The mixed-guest benchmark still got faster up to 2048,
    /// its highest setting; the Linux boot under SVM (background compilation) then settled it: 2048 took
    /// ~64 s with 1.2 million compile requests dropped by a saturated compile thread, 8192 46.9 s,
    /// 32768 45.3 s, 131072 46.6 s, the interpreter alone 50.6 s. Figures: docs/decisions/0007.
    /// </summary>
    public const long DefaultThreshold = 32768;

    /// <summary>Bodies compiled (on either thread), including any discarded before installation.</summary>
    public int BlocksCompiled => (int)_statistics.Compiled;

    public long CompiledBlockRuns { get; private set; }

    /// <summary>IL bytes emitted for all compiled bodies.</summary>
    public long IlBytes => _statistics.IlBytes;

    /// <summary>Time spent compiling (IL emission and the .NET JIT), on whichever thread compiled.</summary>
    public TimeSpan CompileTime => _statistics.Time;

    /// <summary>Compile requests refused because <see cref="CompileQueueCapacity"/> requests were outstanding.</summary>
    public long CompileQueueDrops { get; private set; }

    /// <summary>Background compile requests whose block was invalidated (or its frame demoted) before the body could be installed (compiled or not).</summary>
    public long CompilesDiscarded { get; private set; }

    /// <summary>Bodies evicted to keep at most <see cref="MaxLiveBodies"/>.</summary>
    public long BodiesEvicted => Live.Evicted;

    /// <summary>Compiled bodies currently installed.</summary>
    public int LiveBodies => Live.Count;

    /// <summary>Frames demoted to interpreter-only for being rewritten too often.</summary>
    public int DemotedFrames => Demotion.DemotedFrames;

    // Built on first use: init properties are set after the constructor runs.
    LiveBodies Live => _live ??= new LiveBodies(MaxLiveBodies, OnEvicted);
    RewriteDemotion Demotion => _demotion ??= new RewriteDemotion(DemoteAfterRewrites);

    /// <summary>Runs until <paramref name="maxInstructions"/> have retired or something stops the processor (as Interpreter.Run).</summary>
    public StopReason Run(long maxInstructions)
    {
        var cpu = _cpu;
        if (_compiler is { } compiler)
        {
            if (Compilation == CompileMode.BackgroundDeterministic) compiler.WaitForOutstanding();
            InstallFinished(compiler);
        }
        bool installAnyTime = Compilation == CompileMode.Background;
        long budgetEnd = cpu.InstructionsRetired + maxInstructions;
        while (cpu.InstructionsRetired < budgetEnd)
        {
            cpu.Activity = ExecutionActivity.Dispatch; // the time split's markers (ExecutionActivity): one byte store each
            if (cpu.Pending != 0 || cpu.Halted || (cpu.RflagsStatic & Rflags.TF) != 0)
            {
                _chain.Last = null;
                if (RunOneInterpreted(ref budgetEnd) is { } stop) return stop;
                continue;
            }
            // Between two blocks: the one place a body is installed.
            if (installAnyTime && _compiler is { HasFinished: true } finished) InstallFinished(finished);
            // The interpreter's lookup: jump cache first, and a miss decodes here, so a block is
            // compiled on its first entry at threshold 0.
            var block = _interpreter.FetchBlock();
            if (block is null) continue; // the fetch faulted: the fault is pending
            var compiled = block.ExecutionCount >= Threshold && budgetEnd - cpu.InstructionsRetired >= block.Instructions.Length
                ? FindOrRequest(block) : null; // a region's body may be entered when the budget covers its head
            if (compiled is not null)
            {
                if (_chain.Last is { } last) TryLink(last, compiled);
                cpu.CodeDelta = cpu.Rip - block.DecodeRip;
                block.ExecutionCount++;
                CompiledBlockRuns++;
                cpu.Activity = ExecutionActivity.CompiledCode;
                compiled.Body(cpu, compiled.Insns, budgetEnd, compiled);
            }
            else
            {
                _chain.Last = null;
                cpu.CodeDelta = cpu.Rip - block.DecodeRip;
                block.ExecutionCount++;
                cpu.Activity = ExecutionActivity.Interpreter;
                RunInterpreted(block, 0, budgetEnd);
            }
        }
        return StopReason.BudgetExhausted;
    }

    /// <summary>The body of a hot block, or null while it has none (compile requested, or its frame demoted).</summary>
    CompiledBlock? FindOrRequest(DecodedBlock block)
    {
        if (Live.TryGet(block, out var compiled)) return compiled;
        return RequestCompile(block);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    CompiledBlock? RequestCompile(DecodedBlock block)
    {
        if (Demotion.IsDemoted(block)) return null;
        if (Compilation == CompileMode.Synchronous) return GetOrCompile(block);
        if (_queued.Contains(block)) return null;
        if (_queued.Count >= CompileQueueCapacity) { CompileQueueDrops++; return null; }
        _queued.Add(block);
        (_compiler ??= new BackgroundCompiler(_statistics, _chain)).Request(FormRegion(block));
        return null;
    }

    /// <summary>Installs every body the compile thread has finished (between blocks only).</summary>
    void InstallFinished(BackgroundCompiler compiler)
    {
        while (compiler.TryTakeFinished(out var result))
        {
            _queued.Remove(result.Block);
            result.Error?.Throw();
            if (result.Body is not { } body) { CompilesDiscarded++; continue; } // dropped before its turn came
            if (!body.Region.IsValid || Demotion.IsDemoted(body.Block) || Live.Contains(body.Block)) { CompilesDiscarded++; continue; }
            Install(body);
        }
    }

    void Install(CompiledBlock compiled)
    {
        Demotion.Compiled(compiled.Block);
        compiled.LastRun = _cpu.InstructionsRetired; // the newest body is not the first to go
        RegionBlocksCompiled += compiled.Region.Blocks.Length;
        Live.Add(compiled);
    }

    /// <summary>
    /// Waits for every compile requested so far and installs the bodies (tests, and the start of a
    /// run in <see cref="CompileMode.BackgroundDeterministic"/>). Nothing to do in synchronous mode.
    /// </summary>
    public void WaitForCompiles()
    {
        if (_compiler is not { } compiler) return;
        compiler.WaitForOutstanding();
        InstallFinished(compiler);
    }

    /// <summary>
    /// The compiled code of <paramref name="block"/> (the block at RIP), compiling its region now
    /// (on this thread, whatever the mode) if it has none.
    /// </summary>
    public CompiledBlock GetOrCompile(DecodedBlock block)
    {
        if (Live.TryGet(block, out var compiled)) return compiled;
        compiled = _statistics.Compile(FormRegion(block), _chain);
        Install(compiled);
        return compiled;
    }

    /// <summary>
    /// The region headed by <paramref name="block"/>, the block at RIP: members are looked up, or
    /// decoded, through the interpreter, on this (the guest's) thread; the compile thread only reads them.
    /// </summary>
    Region FormRegion(DecodedBlock block)
    {
        if (MaxRegionInstructions <= block.Instructions.Length) return Region.Single(block);
        ulong delta = _cpu.Rip - block.DecodeRip;
        return Region.Form(block, MaxRegionInstructions, (ip, physical) => _interpreter.PeekBlockOnPage(ip + delta, physical));
    }

    /// <summary>
    /// <paramref name="from"/> just ended at its end with nothing pending and the dispatcher found
    /// <paramref name="to"/> at RIP: patch a free slot of <paramref name="from"/> to jump there directly.
    /// Only within one 4 KiB page of 64-bit code: CS.base is 0 (SDM vol.1 §3.4.2.1), so RIP is the
    /// linear address, and a target on the page <paramref name="from"/> runs from maps to the same
    /// physical page as <paramref name="from"/> for as long as <paramref name="from"/> can run from
    /// there at all — no TLB flush or address-space switch can make the link stale (QEMU's rule
    /// for direct block chaining). Invalidation and eviction unlink through <see cref="CompiledBlock.Incoming"/>.
    /// </summary>
    void TryLink(CompiledBlock from, CompiledBlock to)
    {
        _chain.Last = null;
        if (!Chaining || from.Block.Mode != CodeMode.Bits64 || to.Block.Mode != CodeMode.Bits64) return;
        if (!from.Block.IsValid || !to.Block.IsValid) return;
        if (!Live.TryGet(from.Block, out var live) || !ReferenceEquals(live, from)) return; // evicted since it ran
        var cpu = _cpu;
        ulong rip = cpu.Rip;
        ulong fromLinear = from.Block.DecodeRip + cpu.CodeDelta; // CodeDelta is still the one `from` ran with
        if ((fromLinear >> 12) != (rip >> 12)) return;
        ChainSlot? slot = null;
        foreach (var s in from.Slots)
            if (s.Target is null || s.Rip == rip) { slot = s; break; }
        if (slot is null || ReferenceEquals(slot.Target, to)) return; // linked already (the budget or an event stopped the transfer)
        slot.Target?.Incoming.Remove(slot);
        slot.Rip = rip;
        slot.CodeDelta = rip - to.Block.DecodeRip;
        slot.Length = to.EntryLength;
        slot.Target = to;
        to.Incoming.Add(slot);
        LinksMade++;
    }

    /// <summary>A block was invalidated (code write, or every translation dropped): nothing may jump into it any more.</summary>
    void Unlink(DecodedBlock block)
    {
        if (Live.Remove(block) is { } compiled && ReferenceEquals(_chain.Last, compiled)) _chain.Last = null;
    }

    /// <summary>An evicted block must become hot again before it is compiled again.</summary>
    void OnEvicted(CompiledBlock compiled)
    {
        compiled.Block.ExecutionCount = 0;
        if (ReferenceEquals(_chain.Last, compiled)) _chain.Last = null;
    }

    public void Dispose()
    {
        _compiler?.Dispose();
        _compiler = null;
    }

    public bool HasCompiled(DecodedBlock block) => Live.Contains(block);

    /// <summary>The installed bodies (tests check the links between them).</summary>
    internal IReadOnlyCollection<CompiledBlock> InstalledBodies => Live.All;

    /// <summary>
    /// For lockstep and oracle runs: runs the block at RIP through its compiled body (compiling it
    /// now, whatever the threshold) and does not deliver a fault it raises, which stays in
    /// <see cref="CpuT.PendingException"/> as <see cref="Interpreter.StepWithoutDelivery"/> leaves it.
    /// Non-fault pending bits that only ask for a fresh block lookup (mode change, code
    /// invalidation, interrupt check) are dropped first, as there. <paramref name="completed"/> is
    /// the number of instructions the body completed. Returns false when the block or its fetch faulted.
    /// </summary>
    public bool StepBlockWithoutDelivery(out int completed)
    {
        var cpu = _cpu;
        completed = 0;
        cpu.Pending &= ~(PendingEvent.ModeChanged | PendingEvent.CodeInvalidated | PendingEvent.InterruptCheck);
        var block = _interpreter.FetchBlock();
        if (block is null) return false;
        var compiled = GetOrCompile(block);
        _chain.Last = null;
        cpu.CodeDelta = cpu.Rip - block.DecodeRip;
        block.ExecutionCount++;
        CompiledBlockRuns++;
        completed = compiled.Run(cpu, cpu.InstructionsRetired + compiled.EntryLength); // the budget ends with the head block: no edge, no chaining
        return !cpu.Faulted;
    }

    /// <summary>
    /// One instruction through the interpreter (which services events, decodes, single-steps).
    /// A delivered fault is charged to the budget as Interpreter.Run charges it. If that decoded a
    /// new block and stopped inside it, the rest of the block runs interpreted from here, so no
    /// block is decoded from the middle of another.
    /// </summary>
    StopReason? RunOneInterpreted(ref long budgetEnd)
    {
        var cpu = _cpu;
        long faultsBefore = _interpreter.FaultsCharged;
        bool plain = cpu.Pending == 0 && !cpu.Halted && (cpu.RflagsStatic & Rflags.TF) == 0;
        ulong linear = CodeLinear(cpu);
        var mode = cpu.CodeMode;
        bool user = cpu.Cpl == 3;
        ulong startRip = cpu.Rip;
        var stop = _interpreter.Run(1);
        if (stop != StopReason.BudgetExhausted) return stop;
        // Faults Run(1) delivered (one pending on entry, or one raised and delivered inside) are charged here too.
        budgetEnd -= _interpreter.FaultsCharged - faultsBefore;
        if (!plain || cpu.Pending != 0 || cpu.InstructionsRetired >= budgetEnd) return null;
        var block = _interpreter.Blocks.LookupLinear(linear, mode, user);
        if (block is null || block.Instructions.Length < 2) return null;
        ulong delta = startRip - block.DecodeRip;
        if (cpu.Rip != ((block.Instructions[1].IP + delta) & cpu.IpMask) || cpu.CodeDelta != delta) return null;
        RunInterpreted(block, 1, budgetEnd);
        return null;
    }

    /// <summary>Interpreter.RunBlock from instruction <paramref name="from"/>: the same loop, over the same handlers.</summary>
    void RunInterpreted(DecodedBlock block, int from, long budgetEnd)
    {
        var cpu = _cpu;
        var insns = block.Instructions;
        var handlers = block.Handlers!;
        ulong delta = cpu.CodeDelta;
        ulong ipMask = cpu.IpMask;
        for (int k = from; k < insns.Length; k++)
        {
            ref readonly Instruction insn = ref insns[k];
            cpu.NextRip = (insn.NextIP + delta) & ipMask;
            cpu.InterruptShadow = false;
            ((delegate*<CpuT, in Instruction, void>)handlers[k])(cpu, in insn);
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

    /// <summary>CS.base + RIP, truncated to 32 bits outside 64-bit mode (as the interpreter's fetch).</summary>
    static ulong CodeLinear(CpuT cpu)
    {
        ulong lin = cpu.Segments[SegmentIndex.Cs].Base + cpu.Rip;
        return cpu.Is64BitMode ? lin : lin & 0xFFFF_FFFF;
    }
}
