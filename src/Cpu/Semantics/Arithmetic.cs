using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Integer;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// ADD ADC SUB SBB CMP INC DEC NEG, MUL IMUL DIV IDIV, and the atomic exchanges XADD XCHG CMPXCHG
/// CMPXCHG8B CMPXCHG16B (SDM vol.2). The operations themselves are in <see cref="Alu"/>.
/// </summary>
static unsafe class Arithmetic
{
    public static void Register()
    {
        Forms.RegisterBinary<AddOp>(Mnemonic.Add);
        Forms.RegisterBinary<AdcOp>(Mnemonic.Adc);
        Forms.RegisterBinary<SubOp>(Mnemonic.Sub);
        Forms.RegisterBinary<SbbOp>(Mnemonic.Sbb);
        Forms.RegisterBinary<CmpOp>(Mnemonic.Cmp);
        Forms.RegisterUnary<IncOp>(Mnemonic.Inc);
        Forms.RegisterUnary<DecOp>(Mnemonic.Dec);
        Forms.RegisterUnary<NegOp>(Mnemonic.Neg);

        foreach (var code in HandlerTable.FormsOf(Mnemonic.Mul))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Mul<byte>, &Mul<ushort>, &Mul<uint>, &Mul<ulong>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Imul))
        {
            int w = Forms.Width(code, 0);
            HandlerTable.Set(code, code.ToOpCode().OpCount == 1
                ? Forms.ByWidth(w, &IMul1<byte>, &IMul1<ushort>, &IMul1<uint>, &IMul1<ulong>)
                : Forms.ByWidth(w, &IMulN<byte>, &IMulN<ushort>, &IMulN<uint>, &IMulN<ulong>));
        }
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Div))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Div<byte>, &Div<ushort>, &Div<uint>, &Div<ulong>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Idiv))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &IDiv<byte>, &IDiv<ushort>, &IDiv<uint>, &IDiv<ulong>));

        foreach (var code in HandlerTable.FormsOf(Mnemonic.Xadd))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Xadd<byte>, &Xadd<ushort>, &Xadd<uint>, &Xadd<ulong>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Xchg))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Xchg<byte>, &Xchg<ushort>, &Xchg<uint>, &Xchg<ulong>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Cmpxchg))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Cmpxchg<byte>, &Cmpxchg<ushort>, &Cmpxchg<uint>, &Cmpxchg<ulong>));
        HandlerTable.Set(Code.Cmpxchg8b_m64, &Cmpxchg8b);
        HandlerTable.Set(Code.Cmpxchg16b_m128, &Cmpxchg16b);
    }

    struct AddOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Add(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct AdcOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Adc(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct SubOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Sub(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct SbbOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Sbb(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct CmpOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> { Alu.Cmp(cpu, a, b); return a; }
        public static bool WritesResult => false;
        public static bool Lockable => false;
    }

    struct IncOp : IUnaryOp
    {
        public static T Apply<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Inc(cpu, a);
    }

    struct DecOp : IUnaryOp
    {
        public static T Apply<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Dec(cpu, a);
    }

    struct NegOp : IUnaryOp
    {
        public static T Apply<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Neg(cpu, a);
    }

    // ------------------------------------------------------------------ multiply / divide

    /// <summary>MUL r/m: AX ← AL·src, DX:AX ← AX·src, EDX:EAX ← EAX·src, RDX:RAX ← RAX·src.</summary>
    static void Mul<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        T low = Alu.Mul(cpu, ImplicitRegs.Get<T>(cpu, Gpr.Rax), src, out T high);
        ImplicitRegs.SetPair(cpu, high, low);
    }

    /// <summary>One-operand IMUL: the signed double-width product into the accumulator pair.</summary>
    static void IMul1<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        T low = Alu.IMul(cpu, ImplicitRegs.Get<T>(cpu, Gpr.Rax), src, out T high);
        ImplicitRegs.SetPair(cpu, high, low);
    }

    /// <summary>Two- and three-operand IMUL: reg ← reg·r/m or reg ← r/m·imm, truncated.</summary>
    static void IMulN<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 1);
        if (cpu.Faulted) return;
        T other = i.OpCount == 3 ? cpu.ReadOperand<T>(i, 2) : cpu.ReadRegister<T>(i.Op0Register);
        cpu.WriteRegister(i.Op0Register, Alu.IMul(cpu, src, other, out _));
    }

    /// <summary>DIV r/m: the accumulator pair divided by src; quotient to AL/rAX, remainder to AH/rDX.</summary>
    static void Div<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        ImplicitRegs.GetPair(cpu, out T high, out T low);
        if (!Alu.Div(cpu, high, low, src, out T q, out T r)) return;
        ImplicitRegs.SetPair(cpu, r, q);
    }

    static void IDiv<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        ImplicitRegs.GetPair(cpu, out T high, out T low);
        if (!Alu.IDiv(cpu, high, low, src, out T q, out T r)) return;
        ImplicitRegs.SetPair(cpu, r, q);
    }

    // ------------------------------------------------------------------ exchanges

    /// <summary>XADD r/m, reg: TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP (so XADD r,r with the same register yields the sum).</summary>
    static void Xadd<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckLockMemory(cpu, i)) return;
        var srcReg = i.Op1Register;
        T src = cpu.ReadRegister<T>(srcReg);
        if (i.Op0Kind == OpKind.Register)
        {
            T dest = cpu.ReadRegister<T>(i.Op0Register);
            T sum = Alu.Add(cpu, dest, src);
            cpu.WriteRegister(srcReg, dest);
            cpu.WriteRegister(i.Op0Register, sum);
            return;
        }
        if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
        bool user = cpu.UserAccess;
        T old = cpu.ReadLinear<T>(linear, user);
        cpu.WriteLinear(linear, Alu.Add(cpu, old, src), user);
        cpu.WriteRegister(srcReg, old);
    }

    /// <summary>XCHG: swaps the operands; with memory it is locked whether or not LOCK is present.</summary>
    static void Xchg<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckLockMemory(cpu, i)) return;
        if (i.Op0Kind == OpKind.Register)
        {
            T a = cpu.ReadRegister<T>(i.Op0Register), b = cpu.ReadRegister<T>(i.Op1Register);
            cpu.WriteRegister(i.Op0Register, b);
            cpu.WriteRegister(i.Op1Register, a);
            return;
        }
        if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
        bool user = cpu.UserAccess;
        T mem = cpu.ReadLinear<T>(linear, user);
        cpu.WriteLinear(linear, cpu.ReadRegister<T>(i.Op1Register), user);
        cpu.WriteRegister(i.Op1Register, mem);
    }

    /// <summary>
    /// CMPXCHG r/m, reg: flags of accumulator − DEST; equal: DEST ← SRC; else accumulator ← DEST.
    /// A memory destination is always written (with its own value on failure). A register
    /// destination is written only on success, the accumulator only on failure (so in 64-bit
    /// mode only the register that is written gets its upper half cleared).
    /// </summary>
    static void Cmpxchg<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckLockMemory(cpu, i)) return;
        T src = cpu.ReadRegister<T>(i.Op1Register);
        T acc = ImplicitRegs.Get<T>(cpu, Gpr.Rax);
        if (i.Op0Kind == OpKind.Register)
        {
            T dest = cpu.ReadRegister<T>(i.Op0Register);
            Alu.Cmp(cpu, acc, dest);
            if (acc == dest) cpu.WriteRegister(i.Op0Register, src);
            else ImplicitRegs.Set(cpu, Gpr.Rax, dest);
            return;
        }
        if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
        bool user = cpu.UserAccess;
        T old = cpu.ReadLinear<T>(linear, user);
        Alu.Cmp(cpu, acc, old);
        if (acc == old) cpu.WriteLinear(linear, src, user);
        else
        {
            cpu.WriteLinear(linear, old, user);
            ImplicitRegs.Set(cpu, Gpr.Rax, old);
        }
    }

    /// <summary>CMPXCHG8B m64: EDX:EAX against m64; equal: ZF=1, m64 ← ECX:EBX; else ZF=0, EDX:EAX ← m64. Only ZF changes.</summary>
    static void Cmpxchg8b(Cpu cpu, in Instruction i)
    {
        if (i.Op0Kind != OpKind.Memory) { cpu.RaiseInvalidOpcode(); return; }
        if (!cpu.TryResolveWritable(i, 8, out ulong linear)) return;
        bool user = cpu.UserAccess;
        ulong old = cpu.ReadLinear<ulong>(linear, user);
        ulong expected = ((cpu.Gpr[Gpr.Rdx] & 0xFFFF_FFFF) << 32) | (cpu.Gpr[Gpr.Rax] & 0xFFFF_FFFF);
        if (old == expected)
        {
            cpu.WriteLinear(linear, ((cpu.Gpr[Gpr.Rcx] & 0xFFFF_FFFF) << 32) | (cpu.Gpr[Gpr.Rbx] & 0xFFFF_FFFF), user);
            Alu.WriteFlags(cpu, Rflags.ZF, Rflags.ZF);
        }
        else
        {
            cpu.WriteLinear(linear, old, user);
            cpu.Gpr[Gpr.Rax] = old & 0xFFFF_FFFF;
            cpu.Gpr[Gpr.Rdx] = old >> 32;
            Alu.WriteFlags(cpu, Rflags.ZF, 0);
        }
    }

    /// <summary>CMPXCHG16B m128: as CMPXCHG8B with RDX:RAX and RCX:RBX; #GP(0) unless the operand is 16-byte aligned.</summary>
    static void Cmpxchg16b(Cpu cpu, in Instruction i)
    {
        if (i.Op0Kind != OpKind.Memory) { cpu.RaiseInvalidOpcode(); return; }
        int seg = Cpu.MemorySegment(i);
        if (((cpu.Segments[seg].Base + cpu.EffectiveAddress(i)) & 15) != 0) { cpu.RaiseGeneralProtection(0); return; }
        if (!cpu.TryResolveWritable(i, 16, out ulong linear)) return;
        bool user = cpu.UserAccess;
        ulong lo = cpu.ReadLinear<ulong>(linear, user), hi = cpu.ReadLinear<ulong>(linear + 8, user);
        if (lo == cpu.Gpr[Gpr.Rax] && hi == cpu.Gpr[Gpr.Rdx])
        {
            cpu.WriteLinear(linear, cpu.Gpr[Gpr.Rbx], user);
            cpu.WriteLinear(linear + 8, cpu.Gpr[Gpr.Rcx], user);
            Alu.WriteFlags(cpu, Rflags.ZF, Rflags.ZF);
        }
        else
        {
            cpu.WriteLinear(linear, lo, user);
            cpu.WriteLinear(linear + 8, hi, user);
            cpu.Gpr[Gpr.Rax] = lo;
            cpu.Gpr[Gpr.Rdx] = hi;
            Alu.WriteFlags(cpu, Rflags.ZF, 0);
        }
    }
}
