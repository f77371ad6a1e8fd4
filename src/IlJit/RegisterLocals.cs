using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Guest GPRs that inline code touches, held in IL locals (ulong, the full 64-bit register).
/// <see cref="cpu.Gpr"/> is the truth outside inline runs. The emitter tracks, at compile time,
/// which locals were written since they were last stored (<see cref="Dirty"/>): before a helper
/// and at exits only those are stored, and after a helper only the registers it can write are
/// loaded again (<see cref="EmitLoad"/>), so a helper between inline instructions costs what it
/// touches rather than every register of the region. Where several paths meet (a member's entry)
/// every local counts as dirty (<see cref="MarkAllDirty"/>).
/// </summary>
sealed class RegisterLocals
{
    readonly ILGenerator _il;
    readonly LocalBuilder?[] _locals = new LocalBuilder?[16];
    readonly List<int> _used = new();

    public RegisterLocals(ILGenerator il) => _il = il;

    public bool Any => _used.Count > 0;

    /// <summary>Bit n: the local of GPR n may differ from cpu.Gpr[n] (compile-time state at the current emission point).</summary>
    public int Dirty { get; set; }

    /// <summary>Bit n: GPR n has a local.</summary>
    public int Declared { get; private set; }

    /// <summary>Declares a local for the full register behind <paramref name="reg"/>.</summary>
    public void Declare(Register reg)
    {
        if (reg == Register.None) return;
        int n = Index(reg);
        if (_locals[n] is not null) return;
        _locals[n] = _il.DeclareLocal(typeof(ulong));
        _used.Add(n);
        Declared |= 1 << n;
    }

    /// <summary>
    /// The local of <paramref name="reg"/>'s full register. Whoever holds it may store into it, so
    /// it counts as dirty from here (an extra store at worst); <see cref="EmitRead"/> and
    /// <see cref="EmitWrite"/> track exactly.
    /// </summary>
    public LocalBuilder Of(Register reg)
    {
        int n = Index(reg);
        var local = _locals[n] ?? throw new InvalidOperationException($"{reg} has no local");
        Dirty |= 1 << n;
        return local;
    }

    /// <summary>Loads every local from cpu.Gpr.</summary>
    public void EmitLoadAll() => EmitLoad(Declared);

    /// <summary>Loads the locals of the GPRs in <paramref name="mask"/> (bit n: GPR n) from cpu.Gpr; they are clean then.</summary>
    public void EmitLoad(int mask)
    {
        foreach (int n in _used)
        {
            if ((mask & (1 << n)) == 0) continue;
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.Gpr);
            _il.Emit(OpCodes.Ldc_I4, n);
            _il.Emit(OpCodes.Ldelem_I8);
            _il.Emit(OpCodes.Stloc, _locals[n]!);
        }
        Dirty &= ~mask;
    }

    /// <summary>Every local may differ from cpu.Gpr (a point several paths reach).</summary>
    public void MarkAllDirty() => Dirty = Declared;

    /// <summary>Stores the dirty locals to cpu.Gpr: afterwards cpu.Gpr holds every register, and nothing is dirty.</summary>
    public void EmitStoreAll()
    {
        foreach (int n in _used)
        {
            if ((Dirty & (1 << n)) == 0) continue;
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.Gpr);
            _il.Emit(OpCodes.Ldc_I4, n);
            _il.Emit(OpCodes.Ldloc, _locals[n]!);
            _il.Emit(OpCodes.Stelem_I8);
        }
        Dirty = 0;
    }

    /// <summary>Pushes the register at its own width: uint for a 32-bit name, ulong for a 64-bit one.</summary>
    public void EmitRead(Register reg)
    {
        _il.Emit(OpCodes.Ldloc, _locals[Index(reg)] ?? throw new InvalidOperationException($"{reg} has no local"));
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

    /// <summary>The GPR number (RAX = 0 … R15 = 15) behind any GPR name, or −1.</summary>
    public static int GprNumber(Register reg) => reg == Register.None ? -1 : JitVirt.Cpu.State.RegisterMap.GprIndex[(int)reg];

    static int Index(Register reg)
    {
        int n = JitVirt.Cpu.State.RegisterMap.GprIndex[(int)reg];
        return n >= 0 ? n : throw new ArgumentOutOfRangeException(nameof(reg), reg, "not a GPR");
    }
}
