using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu;

namespace JitVirt.IlJit;

/// <summary>Small IL snippets for the per-instruction bookkeeping the interpreter does (see Interpreter.RunBlock).</summary>
sealed class EmitContext
{
    readonly ILGenerator _il;
    readonly RegisterLocals _regs;
    readonly LocalBuilder _delta, _ipMask;

    public EmitContext(ILGenerator il, RegisterLocals regs, LocalBuilder delta, LocalBuilder ipMask)
    {
        _il = il; _regs = regs; _delta = delta; _ipMask = ipMask;
    }

    public void EmitClearInterruptShadow()
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Stfld, Members.InterruptShadow);
    }

    /// <summary>cpu.InstructionsRetired += n.</summary>
    public void EmitRetire(int n)
    {
        if (n == 0) return;
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.InstructionsRetired);
        _il.Emit(OpCodes.Ldc_I8, (long)n);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stfld, Members.InstructionsRetired);
    }

    /// <summary>field ← (decodedIp + CodeDelta) &amp; IpMask, the interpreter's relocation of a decoded IP.</summary>
    public void EmitSetRip(FieldInfo field, ulong decodedIp)
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldc_I8, unchecked((long)decodedIp));
        _il.Emit(OpCodes.Ldloc, _delta);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Ldloc, _ipMask);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Stfld, field);
    }

    /// <summary>cpu.Rip ← cpu.NextRip (the instruction completed).</summary>
    public void EmitRipFromNextRip()
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.NextRip);
        _il.Emit(OpCodes.Stfld, Members.Rip);
    }

    /// <summary><c>calli</c> (or, for <see cref="DirectHandlers"/>, a direct call) of the interpreter's handler for instruction <paramref name="k"/> with <c>in insns[k]</c>.</summary>
    public void EmitHelperCall(int k, nint handler, Type[] parameters)
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, k);
        _il.Emit(OpCodes.Ldelema, typeof(Instruction));
        if (DirectHandlers.Find(handler) is { } direct)
        {
            _il.Emit(OpCodes.Call, direct);
            return;
        }
        _il.Emit(OpCodes.Ldc_I8, (long)handler);
        _il.Emit(OpCodes.Conv_I);
        _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, typeof(void), parameters, null);
    }

    /// <summary>
    /// If cpu.Pending != 0 after instruction <paramref name="k"/>: unless it faulted, the
    /// instruction completes (RIP ← NextRip, retired++); then return k. Registers are already in
    /// cpu.Gpr (they were stored before the helper, which is the only writer since).
    /// </summary>
    public void EmitPendingExit(int k)
    {
        var go = _il.DefineLabel();
        var faulted = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.Pending);
        _il.Emit(OpCodes.Brfalse, go);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.Pending);
        _il.Emit(OpCodes.Ldc_I4, (int)PendingEvent.Exception);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Brtrue, faulted);
        EmitRipFromNextRip();
        EmitRetire(1);
        _il.Emit(OpCodes.Ldc_I4, k + 1);
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(faulted);
        _il.Emit(OpCodes.Ldc_I4, k);
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(go);
    }
}
