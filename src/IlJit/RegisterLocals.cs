using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Guest GPRs that inline code touches, held in IL locals (ulong, the full 64-bit register).
/// <see cref="cpu.Gpr"/> is the truth outside inline runs: the locals are loaded at entry and after
/// every helper, and stored before every helper and at exits.
/// </summary>
sealed class RegisterLocals
{
    readonly ILGenerator _il;
    readonly LocalBuilder?[] _locals = new LocalBuilder?[16];
    readonly List<int> _used = new();

    public RegisterLocals(ILGenerator il) => _il = il;

    public bool Any => _used.Count > 0;

    /// <summary>Declares a local for the full register behind <paramref name="reg"/>.</summary>
    public void Declare(Register reg)
    {
        if (reg == Register.None) return;
        int n = Index(reg);
        if (_locals[n] is not null) return;
        _locals[n] = _il.DeclareLocal(typeof(ulong));
        _used.Add(n);
    }

    public LocalBuilder Of(Register reg) => _locals[Index(reg)] ?? throw new InvalidOperationException($"{reg} has no local");

    /// <summary>Loads every local from cpu.Gpr.</summary>
    public void EmitLoadAll()
    {
        foreach (int n in _used)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.Gpr);
            _il.Emit(OpCodes.Ldc_I4, n);
            _il.Emit(OpCodes.Ldelem_I8);
            _il.Emit(OpCodes.Stloc, _locals[n]!);
        }
    }

    /// <summary>Stores every local to cpu.Gpr.</summary>
    public void EmitStoreAll()
    {
        foreach (int n in _used)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.Gpr);
            _il.Emit(OpCodes.Ldc_I4, n);
            _il.Emit(OpCodes.Ldloc, _locals[n]!);
            _il.Emit(OpCodes.Stelem_I8);
        }
    }

    /// <summary>Pushes the register at its own width: uint for a 32-bit name, ulong for a 64-bit one.</summary>
    public void EmitRead(Register reg)
    {
        _il.Emit(OpCodes.Ldloc, Of(reg));
        if (reg.IsGPR32()) _il.Emit(OpCodes.Conv_U4);
    }

    /// <summary>
    /// Pops a value of the register's width into it: a 32-bit write zero-extends to 64 bits, a
    /// 64-bit write replaces (SDM vol.1 §3.4.1.1).
    /// </summary>
    public void EmitWrite(Register reg)
    {
        if (reg.IsGPR32()) _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stloc, Of(reg));
    }

    static int Index(Register reg)
    {
        int n = JitVirt.Cpu.State.RegisterMap.GprIndex[(int)reg];
        return n >= 0 ? n : throw new ArgumentOutOfRangeException(nameof(reg), reg, "not a GPR");
    }
}
