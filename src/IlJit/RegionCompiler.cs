using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Semantics;
using JitVirt.Cpu.Virtualization;
using JitVirt.Frontend;
using CpuT = JitVirt.Cpu.Cpu;
using Label = System.Reflection.Emit.Label;

namespace JitVirt.IlJit;

/// <summary>
/// Compiles a <see cref="Region"/> into one <see cref="DynamicMethod"/> with an IL label per
/// member block. Inline forms (<see cref="InlineForms"/>) run on register locals; every other
/// instruction calls the interpreter's own handler with the interpreter's bookkeeping around it,
/// so RIP, NextRip, InstructionsRetired, InterruptShadow and the Pending test after each helper
/// are what Interpreter.RunBlock does:
/// <list type="bullet">
/// <item>before a helper: registers stored, retired count and RIP brought up to date, NextRip set,
/// InterruptShadow cleared;</item>
/// <item>after it: if Pending is nonzero, RIP advances and the instruction retires unless it
/// faulted, and the body returns; otherwise RIP ← NextRip and the registers are reloaded.</item>
/// </list>
/// A block's end is a block boundary of the interpreter's: the retired count is brought up to
/// date, and an edge to another member is taken only if nothing is pending, TF is clear (tested
/// after blocks that called a helper: only a helper can set it) and the rest of the budget covers
/// the whole member — the tests the dispatcher makes before it enters a block, so a loop inside a
/// region stops at exactly the interpreter's count and lets interrupts and front-end exits in.
/// Otherwise the body writes its registers back and leaves through the chain tail
/// (<see cref="ChainEmitter"/>). Registers stay in locals across internal edges. A block-ending
/// JMP rel or Jcc rel whose targets are all on the region's page (so they cannot #GP) is inlined:
/// the condition comes from the operands of the inline instruction before it where that is plain
/// (<see cref="FusedCondition"/>), else from the lazy flag record through the interpreter's own
/// evaluator (Cpu.EvaluateCondition), and the edge is an IL branch.
/// Flag records that a later inline instruction replaces before anything reads them are not
/// written (<see cref="FlagLiveness"/>); across an internal edge into a member that replaces the
/// record first, the last writer's record is written only on the paths that leave
/// (<see cref="DeferredFlagRecord"/>); an ALU instruction whose record only an INC/DEC after it
/// reads hands over its CF instead (<see cref="CarryForward"/>).
/// The caller guarantees that the remaining budget covers the head block and that nothing was
/// pending on entry.
/// </summary>
public static unsafe class RegionCompiler
{
    static readonly Type[] Parameters = [typeof(CpuT), typeof(Instruction[]), typeof(long), typeof(CompiledBlock)];
    static readonly Type[] HandlerParameters = [typeof(CpuT), Members.InstructionByRef];
    static readonly nint JccHandler = (nint)(delegate*<CpuT, in Instruction, void>)&ControlFlow.Jcc;
    static readonly nint JmpHandler = (nint)(delegate*<CpuT, in Instruction, void>)&ControlFlow.JmpRelative;

    public static CompiledBlock Compile(Region region, ChainState state) => new Emission(region).Compile(state);

    /// <summary>The state of one compile.</summary>
    sealed class Emission
    {
        readonly Region _region;
        readonly DecodedBlock[] _blocks;
        readonly int[] _offset; // index of each member's first instruction in the flattened array
        readonly Instruction[] _insns;
        readonly InlineForms.Kind[][] _kinds;
        readonly bool[] _inlineJump; // the member's last instruction is an inlined JMP/Jcc
        readonly bool _hasMemoryForms; // the TLB probe's locals are filled at the entry and after helpers
        readonly FlagLiveness.FlagEffect[][] _effects; // per member, of the instructions before an inlined jump
        DeferredFlagRecord? _deferred; // the current member's record, written only where an edge leaves
        int _deferredCount;
        readonly DynamicMethod _method;
        readonly ILGenerator _il;
        readonly RegisterLocals _regs;
        readonly Label[] _entry;
        readonly HashSet<ulong> _exitTargets = new();
        LocalBuilder _delta = null!, _ipMask = null!, _result = null!;
        Label _tail;
        EmitContext _ctx = null!;
        readonly InstructionInfoFactory _info = new();
        InlineEmitter _inline = null!;

        public Emission(Region region)
        {
            _region = region;
            _blocks = region.Blocks;
            _offset = new int[_blocks.Length];
            var all = new List<Instruction>();
            for (int j = 0; j < _blocks.Length; j++)
            {
                _offset[j] = all.Count;
                all.AddRange(_blocks[j].Instructions);
            }
            _insns = all.ToArray();
            var head = region.Head;
            _method = new DynamicMethod($"Region_{head.PhysicalAddress:X}", typeof(int), Parameters, typeof(RegionCompiler).Module, skipVisibility: true);
            _il = _method.GetILGenerator();
            _regs = new RegisterLocals(_il);
            _kinds = new InlineForms.Kind[_blocks.Length][];
            _inlineJump = new bool[_blocks.Length];
            _entry = new Label[_blocks.Length];
            for (int j = 0; j < _blocks.Length; j++)
            {
                var block = _blocks[j];
                var handlers = block.Handlers ?? throw new ArgumentException("block has no handlers", nameof(region));
                var kinds = _kinds[j] = new InlineForms.Kind[block.Instructions.Length];
                for (int k = 0; k < kinds.Length; k++)
                {
                    // An exit stub stands where the front end intercepts: never inline over it.
                    kinds[k] = InterceptStubs.IsStub(handlers[k]) ? InlineForms.Kind.None : InlineForms.Classify(block.Instructions[k]);
                    if (kinds[k] != InlineForms.Kind.None) InlineEmitter.DeclareRegisters(block.Instructions[k], _regs);
                }
                _inlineJump[j] = IsInlineJump(block, region.Successors[j]);
                _entry[j] = _il.DefineLabel();
            }
            _hasMemoryForms = Array.Exists(_kinds, ks => Array.Exists(ks, InlineForms.IsMemory));
            _effects = new FlagLiveness.FlagEffect[_blocks.Length][];
            for (int j = 0; j < _blocks.Length; j++)
                _effects[j] = FlagLiveness.EffectsOf(_blocks[j].Instructions, _kinds[j], _inlineJump[j] ? _kinds[j].Length - 1 : _kinds[j].Length);
        }

        /// <summary>
        /// The instruction of member <paramref name="j"/> whose flag record is written only where the
        /// member's end leaves the region (<see cref="DeferredFlagRecord"/>), or −1: the member ends in
        /// an inlined JMP, or a Jcc whose condition comes from operands (<see cref="FusedCondition"/>),
        /// every successor is a member entered with a dead record, and the last flag writer is a
        /// deferrable register form followed only by instructions that neither touch flags nor leave.
        /// </summary>
        int DeferredWriter(int j)
        {
            if (!_inlineJump[j]) return -1;
            var insns = _blocks[j].Instructions;
            int n = insns.Length;
            var successors = _region.Successors[j];
            bool conditional = _blocks[j].Handlers![n - 1] == JccHandler && successors.Length > 1;
            if (conditional && (n < 2 || !FusedCondition.CanFuse(insns[n - 2], _kinds[j][n - 2], insns[n - 1].ConditionCode))) return -1;
            foreach (var edge in successors)
                if (edge.Target < 0 || !FlagLiveness.DeadAtEntry(_effects[edge.Target])) return -1;
            var effects = _effects[j];
            for (int k = effects.Length - 1; k >= 0; k--)
            {
                if (effects[k] == FlagLiveness.FlagEffect.None) continue;
                return effects[k] == FlagLiveness.FlagEffect.WritesAll && DeferredFlagRecord.CanDefer(_kinds[j][k]) ? k : -1;
            }
            return -1;
        }

        /// <summary>
        /// A block-ending JMP rel / Jcc rel (64-bit operand) that is the interpreter's own handler
        /// (not an exit stub) and whose every target lies on the page of the block's first byte:
        /// canonical, so the branch cannot raise #GP.
        /// </summary>
        static bool IsInlineJump(DecodedBlock block, Region.Edge[] successors)
        {
            nint handler = block.Handlers![^1];
            if (handler != JccHandler && handler != JmpHandler) return false;
            if (block.Mode != CodeMode.Bits64 || block.Instructions[^1].Op0Kind != OpKind.NearBranch64) return false;
            if (successors.Length == 0) return false;
            foreach (var edge in successors)
                if (!Region.OnPageOf(block, edge.Ip)) return false;
            return true;
        }

        public CompiledBlock Compile(ChainState state)
        {
            var il = _il;
            _delta = il.DeclareLocal(typeof(ulong));
            _ipMask = il.DeclareLocal(typeof(ulong));
            _result = il.DeclareLocal(typeof(int));
            _tail = il.DefineLabel();
            EmitPrepareExit(il);
            // self.LastRun = cpu.InstructionsRetired (the LRU order of live bodies, chained entries included)
            il.Emit(OpCodes.Ldarg_3);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, Members.InstructionsRetired);
            il.Emit(OpCodes.Stfld, Members.BlockLastRun);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, Members.CodeDelta);
            il.Emit(OpCodes.Stloc, _delta);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Call, Members.GetIpMask);
            il.Emit(OpCodes.Stloc, _ipMask);
            _regs.EmitLoadAll();
            _ctx = new EmitContext(il, _regs, _delta, _ipMask);
            _inline = new InlineEmitter(il, _regs, _ctx);
            if (_hasMemoryForms) _inline.EmitTlbRefresh();
            // The interpreter clears the shadow before every instruction; only a helper can set it,
            // so after the entry it is cleared after helpers only (edges included).
            _ctx.EmitClearInterruptShadow();
            for (int j = 0; j < _blocks.Length; j++) EmitBlock(j);

            il.MarkLabel(_tail);
            bool chains = _region.Head.Mode == CodeMode.Bits64;
            if (chains) ChainEmitter.EmitTail(il, Math.Min(Math.Max(_exitTargets.Count, 2), CompiledBlock.MaxSlots), _result);
            else
            {
                il.Emit(OpCodes.Ldloc, _result);
                il.Emit(OpCodes.Ret);
            }
            _inline.EmitColdPaths(); // the memory forms' slow paths, out of the hot path's way
            int ilBytes = il.ILOffset;
            var compiled = new CompiledBlock(_region, _insns, _exitTargets.Count, _method.CreateDelegate<CompiledBody>(), state, ilBytes)
            {
                DeferredFlagRecords = _deferredCount,
            };
            Prepare(compiled);
            return compiled;
        }

        void EmitBlock(int j)
        {
            var block = _blocks[j];
            var insns = block.Instructions;
            var handlers = block.Handlers!;
            var kinds = _kinds[j];
            int n = insns.Length;
            int deferredAt = DeferredWriter(j);
            var flagsDead = FlagLiveness.DeadFlagWrites(_effects[j], liveOut: deferredAt < 0);
            var carryConsumer = CarryForward.Consumers(insns, kinds, _effects[j], flagsDead);
            LocalBuilder? carry = null;
            _deferred = null;
            _il.MarkLabel(_entry[j]);
            _regs.MarkAllDirty(); // reached from the entry and from edges
            bool ripStale = true; // RIP is written at exits and before helpers only (every member, the head too, can be reached by an edge)
            int unsynced = 0; // instructions completed but not yet added to InstructionsRetired
            int body = _inlineJump[j] ? n - 1 : n;
            for (int k = 0; k < body; k++)
            {
                if (k > 0 && kinds[k - 1] == InlineForms.Kind.None) _ctx.EmitClearInterruptShadow();
                if (kinds[k] != InlineForms.Kind.None)
                {
                    if (k == deferredAt)
                    {
                        _deferred = DeferredFlagRecord.Capture(_il, _regs, insns[k], kinds[k]);
                        _deferredCount++;
                    }
                    bool carryOnly = carryConsumer[k] >= 0;
                    if (carryOnly) carry = CarryForward.EmitCarryOf(_il, _regs, insns[k]);
                    if (carry is not null && !carryOnly && kinds[k] is InlineForms.Kind.Inc or InlineForms.Kind.Dec)
                    {
                        CarryForward.EmitInstall(_il, carry);
                        carry = null;
                    }
                    _inline.Emit(insns[k], kinds[k], flagsDead[k] || carryOnly, k, _offset[j] + k, handlers[k], unsynced);
                    unsynced++;
                    continue;
                }
                _regs.EmitStoreAll();
                _ctx.EmitRetire(unsynced);
                if (unsynced > 0 || ripStale) _ctx.EmitSetRip(Members.Rip, insns[k].IP);
                ripStale = false;
                unsynced = 0;
                _ctx.EmitSetRip(Members.NextRip, insns[k].NextIP);
                _ctx.EmitHelperCall(_offset[j] + k, handlers[k], HandlerParameters);
                _ctx.EmitPendingExit(k);
                _ctx.EmitRipFromNextRip();
                if (_hasMemoryForms) _inline.EmitTlbRefresh(); // a helper may change CPL, AC, CR0.AM or flush the TLB
                unsynced = 1;
                if (k + 1 < n || HasInternalSuccessor(j)) _regs.EmitLoad(WrittenBy(insns[k], handlers[k]));
            }
            // An inline CALL/RET has set NextRip to its target: the block ends as after a helper.
            bool transferLast = InlineForms.TransfersControl(kinds[n - 1]);
            if (transferLast) _ctx.EmitRipFromNextRip();
            bool helperLast = (kinds[n - 1] == InlineForms.Kind.None || transferLast) && !_inlineJump[j];
            bool helperInBlock = Array.IndexOf(kinds[..body], InlineForms.Kind.None) >= 0;
            var successors = _region.Successors[j];
            if (_inlineJump[j])
            {
                // The jump itself completes (it cannot fault: every target is on this page).
                if (n > 1 && kinds[n - 2] == InlineForms.Kind.None) _ctx.EmitClearInterruptShadow();
                unsynced++;
                var jump = insns[n - 1];
                ulong takenIp = jump.NearBranch64, nextIp = jump.NextIP;
                var taken = Array.Find(successors, e => e.Ip == takenIp);
                if (handlers[n - 1] == JmpHandler || successors.Length == 1)
                {
                    EmitEdge(j, taken, unsynced, clearShadow: false, checkTf: helperInBlock, lastIndex: n);
                    return;
                }
                var fallThrough = Array.Find(successors, e => e.Ip == nextIp);
                var notTaken = _il.DefineLabel();
                if (n < 2 || kinds[n - 2] == InlineForms.Kind.None
                    || !FusedCondition.TryEmit(_il, _regs, insns[n - 2], kinds[n - 2], jump.ConditionCode))
                {
                    _il.Emit(OpCodes.Ldarg_0);
                    _il.Emit(OpCodes.Ldc_I4, (int)jump.ConditionCode - 1);
                    _il.Emit(OpCodes.Call, Members.EvaluateCondition);
                }
                _il.Emit(OpCodes.Brfalse, notTaken);
                EmitEdge(j, taken, unsynced, clearShadow: false, checkTf: helperInBlock, lastIndex: n);
                _il.MarkLabel(notTaken);
                EmitEdge(j, fallThrough, unsynced, clearShadow: false, checkTf: helperInBlock, lastIndex: n);
                return;
            }
            if (helperLast)
            {
                // RIP is where the helper left it: an internal successor's start, or an exit.
                foreach (var edge in successors)
                {
                    if (edge.Target < 0) continue;
                    var next = _il.DefineLabel();
                    _il.Emit(OpCodes.Ldarg_0);
                    _il.Emit(OpCodes.Ldfld, Members.Rip);
                    EmitRelocated(edge.Ip);
                    _il.Emit(OpCodes.Bne_Un, next);
                    EmitEdge(j, edge, unsynced, clearShadow: true, checkTf: true, lastIndex: n);
                    _il.MarkLabel(next);
                }
                foreach (var edge in successors) _exitTargets.Add(edge.Ip);
                if (successors.Length == 0) _exitTargets.Add(ulong.MaxValue); // an indirect exit still caches a target
                if (transferLast) _regs.EmitStoreAll(); // after a helper nothing is dirty; after an inline CALL/RET RSP is
                _ctx.EmitRetire(unsynced);
                EmitLeave(n);
                return;
            }
            // Cut at the decoder's cap after an inline instruction: fall through.
            EmitEdge(j, successors[0], unsynced, clearShadow: false, checkTf: helperInBlock, lastIndex: n);
        }

        /// <summary>
        /// GPRs (bit n: GPR n) a helper may write, so they are loaded again after it: those Iced
        /// lists as written or conditionally written for the instruction (implicit ones included:
        /// RSP of PUSH, RDX:RAX of MUL, RCX/RSI/RDI of string instructions). Every GPR after an
        /// exit stub (a front end may load a whole guest state there) and after a control
        /// transfer other than the interpreter's JMP rel / Jcc rel (far transfers and task
        /// switches load registers); none after those two, which only set NextRip.
        /// </summary>
        int WrittenBy(in Instruction insn, nint handler)
        {
            if (handler == JccHandler || handler == JmpHandler) return 0;
            if (InterceptStubs.IsStub(handler) || insn.IsInvalid || insn.FlowControl != Iced.Intel.FlowControl.Next) return _regs.Declared;
            int mask = 0;
            foreach (var used in _info.GetInfo(insn).GetUsedRegisters())
            {
                if (used.Access is not (OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite)) continue;
                int n = RegisterLocals.GprNumber(used.Register);
                if (n >= 0) mask |= 1 << n;
            }
            return mask;
        }

        bool HasInternalSuccessor(int j) => Array.Exists(_region.Successors[j], e => e.Target >= 0);

        /// <summary>
        /// The end of member <paramref name="from"/> towards <paramref name="edge"/>: retire what is
        /// pending; into a member when nothing stops it there, else leave with RIP at the target.
        /// </summary>
        void EmitEdge(int from, Region.Edge edge, int unsynced, bool clearShadow, bool checkTf, int lastIndex)
        {
            int dirty = _regs.Dirty; // the state every path out of this edge starts from
            _ctx.EmitRetire(unsynced);
            if (clearShadow) _ctx.EmitClearInterruptShadow();
            if (edge.Target >= 0)
            {
                var leave = _il.DefineLabel();
                // cpu.Pending != 0 → leave
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Ldfld, Members.Pending);
                _il.Emit(OpCodes.Brtrue, leave);
                if (checkTf)
                {
                    _il.Emit(OpCodes.Ldarg_0);
                    _il.Emit(OpCodes.Ldfld, Members.RflagsStatic);
                    _il.Emit(OpCodes.Ldc_I8, (long)JitVirt.Cpu.State.Rflags.TF);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Brtrue, leave);
                }
                // budgetEnd - retired < length of the member → leave
                _il.Emit(OpCodes.Ldarg_2);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Ldfld, Members.InstructionsRetired);
                _il.Emit(OpCodes.Sub);
                _il.Emit(OpCodes.Ldc_I8, (long)_blocks[edge.Target].Instructions.Length);
                _il.Emit(OpCodes.Blt, leave);
                _il.Emit(OpCodes.Br, _entry[edge.Target]);
                _il.MarkLabel(leave);
            }
            _deferred?.EmitWrite(_il);
            _exitTargets.Add(edge.Ip);
            _regs.EmitStoreAll();
            _ctx.EmitSetRip(Members.NextRip, edge.Ip);
            _ctx.EmitSetRip(Members.Rip, edge.Ip);
            EmitLeave(lastIndex);
            _regs.Dirty = dirty;
        }

        /// <summary>result ← completed; go to the chain tail.</summary>
        void EmitLeave(int completed)
        {
            _il.Emit(OpCodes.Ldc_I4, completed);
            _il.Emit(OpCodes.Stloc, _result);
            _il.Emit(OpCodes.Br, _tail);
        }

        /// <summary>Pushes (decodedIp + CodeDelta) &amp; IpMask.</summary>
        void EmitRelocated(ulong decodedIp)
        {
            _il.Emit(OpCodes.Ldc_I8, unchecked((long)decodedIp));
            _il.Emit(OpCodes.Ldloc, _delta);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ldloc, _ipMask);
            _il.Emit(OpCodes.And);
        }
    }

    /// <summary>
    /// Has the .NET JIT compile the body now, on the calling thread (a DynamicMethod is otherwise
    /// compiled at its first call, which would put the cost back on the guest's thread): a call
    /// with a null processor returns at once (<see cref="EmitPrepareExit"/>).
    /// </summary>
    static void Prepare(CompiledBlock compiled) => compiled.Body(null!, compiled.Insns, 0, compiled);

    /// <summary><c>if (cpu == null) return 0;</c> — the entry <see cref="Prepare"/> calls through.</summary>
    static void EmitPrepareExit(ILGenerator il)
    {
        var run = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Brtrue, run);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(run);
    }
}
