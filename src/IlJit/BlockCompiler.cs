using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Virtualization;
using JitVirt.Frontend;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.IlJit;

/// <summary>
/// Compiles one <see cref="DecodedBlock"/> into a <see cref="DynamicMethod"/>. Inline forms
/// (<see cref="InlineForms"/>) run on register locals; every other instruction calls the
/// interpreter's own handler with the interpreter's bookkeeping around it, so RIP, NextRip,
/// InstructionsRetired, InterruptShadow and the Pending test after each helper are what
/// Interpreter.RunBlock does:
/// <list type="bullet">
/// <item>before a helper: registers stored, retired count and RIP brought up to date, NextRip set,
/// InterruptShadow cleared;</item>
/// <item>after it: if Pending is nonzero, RIP advances and the instruction retires unless it
/// faulted, and the body returns; otherwise RIP ← NextRip and the registers are reloaded.</item>
/// </list>
/// Flag records that a later inline instruction replaces before anything reads them are not
/// written (<see cref="FlagLiveness"/>).
/// The caller guarantees that the remaining instruction budget covers the whole block and that
/// nothing was pending on entry (the interpreter tests its budget after every instruction; a
/// compiled body never stops on budget).
/// </summary>
public static class BlockCompiler
{
    static readonly Type[] Parameters = [typeof(CpuT), typeof(Instruction[]), typeof(long), typeof(CompiledBlock)];
    static readonly Type[] HandlerParameters = [typeof(CpuT), Members.InstructionByRef];

    /// <summary>Compiles <paramref name="block"/> on its own (no chaining state shared with anything).</summary>
    public static CompiledBlock Compile(DecodedBlock block) => Compile(block, new ChainState());

    /// <summary>
    /// Compiles <paramref name="block"/>. Only 64-bit code chains (CS.base is 0 there, so a slot's
    /// RIP is its linear address; see TieredExecutor.TryLink for the same-page rule).
    /// </summary>
    public static CompiledBlock Compile(DecodedBlock block, ChainState state)
    {
        var handlers = block.Handlers ?? throw new ArgumentException("block has no handlers", nameof(block));
        var insns = block.Instructions;
        var method = new DynamicMethod($"Block_{block.PhysicalAddress:X}", typeof(int), Parameters, typeof(BlockCompiler).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var regs = new RegisterLocals(il);
        var kinds = new InlineForms.Kind[insns.Length];
        for (int k = 0; k < insns.Length; k++)
        {
            // An exit stub stands where the front end intercepts: never inline over it.
            kinds[k] = InterceptStubs.IsStub(handlers[k]) ? InlineForms.Kind.None : InlineForms.Classify(insns[k]);
            if (kinds[k] != InlineForms.Kind.None) InlineEmitter.DeclareRegisters(insns[k], regs);
        }

        var flagsDead = FlagLiveness.DeadFlagWrites(kinds);
        var delta = il.DeclareLocal(typeof(ulong));
        var ipMask = il.DeclareLocal(typeof(ulong));
        EmitPrepareExit(il);
        // self.LastRun = cpu.InstructionsRetired (the LRU order of live bodies, chained entries included)
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.InstructionsRetired);
        il.Emit(OpCodes.Stfld, Members.BlockLastRun);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.CodeDelta);
        il.Emit(OpCodes.Stloc, delta);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, Members.GetIpMask);
        il.Emit(OpCodes.Stloc, ipMask);
        regs.EmitLoadAll();

        var ctx = new EmitContext(il, regs, delta, ipMask);
        var inline = new InlineEmitter(il, regs, ctx);
        int unsynced = 0; // inline instructions completed but not yet added to InstructionsRetired
        for (int k = 0; k < insns.Length; k++)
        {
            // The interpreter clears the shadow before every instruction; only a helper can set it.
            if (k == 0 || kinds[k - 1] == InlineForms.Kind.None) ctx.EmitClearInterruptShadow();
            if (kinds[k] != InlineForms.Kind.None)
            {
                inline.Emit(insns[k], kinds[k], flagsDead[k], k, handlers[k], unsynced);
                unsynced++;
                continue;
            }
            regs.EmitStoreAll();
            ctx.EmitRetire(unsynced);
            if (unsynced > 0) ctx.EmitSetRip(Members.Rip, insns[k].IP);
            unsynced = 0;
            ctx.EmitSetRip(Members.NextRip, insns[k].NextIP);
            ctx.EmitHelperCall(k, handlers[k], HandlerParameters);
            ctx.EmitPendingExit(k);
            ctx.EmitRipFromNextRip();
            unsynced = 1;
            if (k + 1 < insns.Length) regs.EmitLoadAll();
        }

        if (kinds[^1] != InlineForms.Kind.None)
        {
            regs.EmitStoreAll();
            // An inline CALL/RET has set NextRip to its target.
            if (!InlineForms.TransfersControl(kinds[^1])) ctx.EmitSetRip(Members.NextRip, insns[^1].NextIP);
            ctx.EmitRipFromNextRip();
        }
        ctx.EmitRetire(unsynced);
        if (block.Mode == CodeMode.Bits64) ChainEmitter.EmitTail(il, insns.Length);
        else
        {
            il.Emit(OpCodes.Ldc_I4, insns.Length);
            il.Emit(OpCodes.Ret);
        }
        inline.EmitColdPaths();
        int ilBytes = il.ILOffset;
        var compiled = new CompiledBlock(block, method.CreateDelegate<CompiledBody>(), state, ilBytes);
        Prepare(compiled);
        return compiled;
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
