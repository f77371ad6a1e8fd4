using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>A two-operand operation DEST ← DEST op SRC (or, when <see cref="WritesResult"/> is false, only flags).</summary>
interface IBinaryOp
{
    static abstract T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>;
    /// <summary>False for CMP, TEST and BT-like operations that only set flags.</summary>
    static abstract bool WritesResult { get; }
    /// <summary>True when LOCK is allowed with a memory destination (SDM vol.2 LOCK).</summary>
    static abstract bool Lockable { get; }
}

/// <summary>A one-operand read-modify-write DEST ← op DEST.</summary>
interface IUnaryOp
{
    static abstract T Apply<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>;
}

/// <summary>
/// Form-level plumbing shared by the integer families: operand widths from Iced's op-code
/// tables, LOCK validity, and the register/memory templates that apply an operation with precise
/// faults (nothing is committed before the last access that can fault).
/// </summary>
static unsafe class Forms
{
    /// <summary>Width in bytes of operand <paramref name="operand"/> of a form, from Iced's op-code operand kind.</summary>
    public static int Width(Code code, int operand)
    {
        string k = code.ToOpCode().GetOpKind(operand).ToString();
        switch (k)
        {
            case "al": case "cl": return 1;
            case "ax": case "dx": return 2;
            case "eax": return 4;
            case "rax": return 8;
        }
        if (k.StartsWith("r8_", StringComparison.Ordinal)) return 1;
        if (k.StartsWith("r16_", StringComparison.Ordinal)) return 2;
        if (k.StartsWith("r32_", StringComparison.Ordinal)) return 4;
        if (k.StartsWith("r64_", StringComparison.Ordinal)) return 8;
        throw new InvalidOperationException($"{code}: operand {operand} has no integer width ({k})");
    }

    /// <summary>True when the form does not exist in 64-bit mode (e.g. opcode 82h, the BCD adjusts).</summary>
    public static bool InvalidIn64(Code code) => !code.ToOpCode().Mode64;

    /// <summary>LOCK is allowed only with a memory destination: #UD otherwise (SDM vol.2 LOCK). Returns false after raising.</summary>
    public static bool CheckLockMemory(Cpu cpu, in Instruction i)
    {
        if (i.HasLockPrefix && i.Op0Kind != OpKind.Memory) { cpu.RaiseInvalidOpcode(); return false; }
        return true;
    }

    /// <summary>LOCK on an instruction that cannot take it: #UD. Returns false after raising.</summary>
    public static bool CheckNoLock(Cpu cpu, in Instruction i)
    {
        if (i.HasLockPrefix) { cpu.RaiseInvalidOpcode(); return false; }
        return true;
    }

    /// <summary>Picks the instantiation of a width-generic handler.</summary>
    public static delegate*<Cpu, in Instruction, void> ByWidth(int width,
        delegate*<Cpu, in Instruction, void> b, delegate*<Cpu, in Instruction, void> w,
        delegate*<Cpu, in Instruction, void> d, delegate*<Cpu, in Instruction, void> q)
        => width switch { 1 => b, 2 => w, 4 => d, 8 => q, _ => throw new ArgumentOutOfRangeException(nameof(width)) };

    // ------------------------------------------------------------------ templates

    /// <summary>DEST(op0) ← DEST op SRC(op1), for register, memory and immediate operands.</summary>
    public static void Binary<T, TOp>(Cpu cpu, in Instruction i)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> where TOp : struct, IBinaryOp
    {
        if (i.HasLockPrefix && (!TOp.Lockable || i.Op0Kind != OpKind.Memory)) { cpu.RaiseInvalidOpcode(); return; }
        if (i.Op0Kind == OpKind.Register)
        {
            T b = cpu.ReadOperand<T>(i, 1);
            if (cpu.Faulted) return;
            var reg = i.Op0Register;
            T r = TOp.Apply(cpu, cpu.ReadRegister<T>(reg), b);
            if (TOp.WritesResult) cpu.WriteRegister(reg, r);
            return;
        }
        T src = cpu.ReadOperand<T>(i, 1); // register or immediate: cannot fault
        if (TOp.WritesResult)
        {
            if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
            bool user = cpu.UserAccess;
            T r = TOp.Apply(cpu, cpu.ReadLinear<T>(linear, user), src);
            cpu.WriteLinear(linear, r, user);
        }
        else
        {
            T a = cpu.Read<T>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
            if (cpu.Faulted) return;
            TOp.Apply(cpu, a, src);
        }
    }

    /// <summary><see cref="Binary{T, TOp}"/> for forms that are #UD in 64-bit mode (opcode 82h).</summary>
    public static void BinaryNot64<T, TOp>(Cpu cpu, in Instruction i)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> where TOp : struct, IBinaryOp
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        Binary<T, TOp>(cpu, i);
    }

    /// <summary>DEST(op0) ← op DEST; LOCK allowed with memory.</summary>
    public static void Unary<T, TOp>(Cpu cpu, in Instruction i)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> where TOp : struct, IUnaryOp
    {
        if (i.Op0Kind == OpKind.Register)
        {
            if (i.HasLockPrefix) { cpu.RaiseInvalidOpcode(); return; }
            var reg = i.Op0Register;
            cpu.WriteRegister(reg, TOp.Apply(cpu, cpu.ReadRegister<T>(reg)));
            return;
        }
        if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
        bool user = cpu.UserAccess;
        T r = TOp.Apply(cpu, cpu.ReadLinear<T>(linear, user));
        cpu.WriteLinear(linear, r, user);
    }

    /// <summary>Registers <see cref="Binary{T, TOp}"/> for every form of <paramref name="mnemonic"/>, by the width of operand 0.</summary>
    public static void RegisterBinary<TOp>(Mnemonic mnemonic) where TOp : struct, IBinaryOp
    {
        foreach (var code in HandlerTable.FormsOf(mnemonic))
        {
            var h = InvalidIn64(code)
                ? ByWidth(Width(code, 0), &BinaryNot64<byte, TOp>, &BinaryNot64<ushort, TOp>, &BinaryNot64<uint, TOp>, &BinaryNot64<ulong, TOp>)
                : ByWidth(Width(code, 0), &Binary<byte, TOp>, &Binary<ushort, TOp>, &Binary<uint, TOp>, &Binary<ulong, TOp>);
            HandlerTable.Set(code, h);
        }
    }

    /// <summary>Registers <see cref="Unary{T, TOp}"/> for every form of <paramref name="mnemonic"/>.</summary>
    public static void RegisterUnary<TOp>(Mnemonic mnemonic) where TOp : struct, IUnaryOp
    {
        foreach (var code in HandlerTable.FormsOf(mnemonic))
            HandlerTable.Set(code, ByWidth(Width(code, 0), &Unary<byte, TOp>, &Unary<ushort, TOp>, &Unary<uint, TOp>, &Unary<ulong, TOp>));
    }
}

/// <summary>Implicit register operands (AL/AX/EAX/RAX, DX:AX pairs) at a generic width.</summary>
static class ImplicitRegs
{
    /// <summary>Writes GPR <paramref name="index"/> at the width of <typeparamref name="T"/>: bytes and words merge, dwords zero-extend.</summary>
    public static void Set<T>(Cpu cpu, int index, T value) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong v = ulong.CreateTruncating(value);
        ref ulong slot = ref cpu.Gpr[index];
        slot = System.Runtime.CompilerServices.Unsafe.SizeOf<T>() switch
        {
            1 => (slot & ~0xFFul) | v,
            2 => (slot & ~0xFFFFul) | v,
            _ => v,
        };
    }

    public static T Get<T>(Cpu cpu, int index) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        => T.CreateTruncating(cpu.Gpr[index]);

    /// <summary>The double-width accumulator: AH:AL for bytes, else rDX:rAX.</summary>
    public static void GetPair<T>(Cpu cpu, out T high, out T low) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong a = cpu.Gpr[State.Gpr.Rax];
        low = T.CreateTruncating(a);
        high = T.CreateTruncating(System.Runtime.CompilerServices.Unsafe.SizeOf<T>() == 1 ? a >> 8 : cpu.Gpr[State.Gpr.Rdx]);
    }

    public static void SetPair<T>(Cpu cpu, T high, T low) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() == 1)
        {
            Set(cpu, State.Gpr.Rax, (ushort)((ulong.CreateTruncating(high) << 8) | ulong.CreateTruncating(low)));
            return;
        }
        Set(cpu, State.Gpr.Rax, low);
        Set(cpu, State.Gpr.Rdx, high);
    }
}
