using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Integer;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>BT BTS BTR BTC, BSF BSR (and TZCNT LZCNT, which run as BSF BSR here), BSWAP and SETcc (SDM vol.2). The operations are in <see cref="BitOps"/>.</summary>
static unsafe class BitOperations
{
    public static void Register()
    {
        RegisterBitTest<BtOp>(Mnemonic.Bt);
        RegisterBitTest<BtsOp>(Mnemonic.Bts);
        RegisterBitTest<BtrOp>(Mnemonic.Btr);
        RegisterBitTest<BtcOp>(Mnemonic.Btc);
        // TZCNT (F3 0F BC) and LZCNT (F3 0F BD) on a processor without them: the F3 prefix is ignored and the
        // encoding executes as BSF / BSR (SDM vol.2 TZCNT and LZCNT, "Description"). The CPUID model reports
        // neither BMI1 (leaf 7 EBX[3]) nor LZCNT/ABM (leaf 80000001h ECX[5]), and Linux relies on this: its
        // __ffs() is emitted as "rep bsf" so that BMI1 parts run the faster TZCNT and older parts plain BSF.
        foreach (var m in new[] { Mnemonic.Bsf, Mnemonic.Tzcnt })
            foreach (var code in HandlerTable.FormsOf(m))
                HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Bsf<byte>, &Bsf<ushort>, &Bsf<uint>, &Bsf<ulong>));
        foreach (var m in new[] { Mnemonic.Bsr, Mnemonic.Lzcnt })
            foreach (var code in HandlerTable.FormsOf(m))
                HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Bsr<byte>, &Bsr<ushort>, &Bsr<uint>, &Bsr<ulong>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Bswap))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Bswap<byte>, &Bswap<ushort>, &Bswap<uint>, &Bswap<ulong>));
        foreach (var m in SetccMnemonics)
            foreach (var code in HandlerTable.FormsOf(m))
                HandlerTable.Set(code, &Setcc);
    }

    /// <summary>SETcc mnemonics in condition-code order (SDM vol.1 Table B-1).</summary>
    static readonly Mnemonic[] SetccMnemonics =
    {
        Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta,
        Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
    };

    interface IBitOp
    {
        static abstract T Apply<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>;
        static abstract bool WritesResult { get; }
    }

    struct BtOp : IBitOp
    {
        public static T Apply<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> { BitOps.Bt(cpu, value, bit); return value; }
        public static bool WritesResult => false;
    }

    struct BtsOp : IBitOp
    {
        public static T Apply<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => BitOps.Bts(cpu, value, bit);
        public static bool WritesResult => true;
    }

    struct BtrOp : IBitOp
    {
        public static T Apply<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => BitOps.Btr(cpu, value, bit);
        public static bool WritesResult => true;
    }

    struct BtcOp : IBitOp
    {
        public static T Apply<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => BitOps.Btc(cpu, value, bit);
        public static bool WritesResult => true;
    }

    static void RegisterBitTest<TOp>(Mnemonic mnemonic) where TOp : struct, IBitOp
    {
        foreach (var code in HandlerTable.FormsOf(mnemonic))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &BitTest<byte, TOp>, &BitTest<ushort, TOp>, &BitTest<uint, TOp>, &BitTest<ulong, TOp>));
    }

    /// <summary>
    /// BT-family r/m, reg/imm8. With a register destination, or an immediate offset, the bit is
    /// the offset modulo the width. With a memory destination and a register offset, the offset is
    /// signed and may address outside the operand: the access moves by (offset SAR log2(width))
    /// operand-sized units (SDM vol.2 BT, "Bit(BitBase, BitOffset)").
    /// </summary>
    static void BitTest<T, TOp>(Cpu cpu, in Instruction i)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> where TOp : struct, IBitOp
    {
        if (i.HasLockPrefix && (!TOp.WritesResult || i.Op0Kind != OpKind.Memory)) { cpu.RaiseInvalidOpcode(); return; }
        int bits = sizeof(T) * 8;
        bool registerOffset = i.Op1Kind == OpKind.Register;
        T offset = registerOffset ? cpu.ReadRegister<T>(i.Op1Register) : T.CreateTruncating(i.Immediate8);
        if (i.Op0Kind == OpKind.Register)
        {
            int bit = int.CreateTruncating(offset) & (bits - 1);
            T r = TOp.Apply(cpu, cpu.ReadRegister<T>(i.Op0Register), bit);
            if (TOp.WritesResult) cpu.WriteRegister(i.Op0Register, r);
            return;
        }
        ulong ea = cpu.EffectiveAddress(i);
        int memBit = int.CreateTruncating(offset) & (bits - 1);
        if (registerOffset)
        {
            long signed = Alu.SignExtend(offset);
            ea = (ea + (ulong)((signed >> BitOperationsShift(bits)) * sizeof(T))) & AddressMask(i);
        }
        int seg = Cpu.MemorySegment(i);
        if (TOp.WritesResult)
        {
            if (!cpu.TryWritableLinear(seg, ea, sizeof(T), out ulong linear)) return;
            bool user = cpu.UserAccess;
            T r = TOp.Apply(cpu, cpu.ReadLinear<T>(linear, user), memBit);
            cpu.WriteLinear(linear, r, user);
        }
        else
        {
            T v = cpu.Read<T>(seg, ea);
            if (cpu.Faulted) return;
            TOp.Apply(cpu, v, memBit);
        }
    }

    static int BitOperationsShift(int bits) => System.Numerics.BitOperations.Log2((uint)bits);

    /// <summary>The address-size mask of the memory operand (the width <see cref="Cpu.EffectiveAddress"/> truncates to).</summary>
    static ulong AddressMask(in Instruction i)
    {
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        int w = b == Iced.Intel.Register.RIP ? 8
            : b == Iced.Intel.Register.EIP ? 4
            : b != Iced.Intel.Register.None ? RegisterMap.Width[(int)b]
            : x != Iced.Intel.Register.None ? RegisterMap.Width[(int)x]
            : i.MemoryDisplSize;
        return w switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };
    }

    /// <summary>BSF reg, r/m: a zero source sets ZF and leaves the destination as it was.</summary>
    static void Bsf<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 1);
        if (cpu.Faulted) return;
        if (BitOps.Bsf(cpu, src, out T index)) cpu.WriteRegister(i.Op0Register, index);
    }

    static void Bsr<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 1);
        if (cpu.Faulted) return;
        if (BitOps.Bsr(cpu, src, out T index)) cpu.WriteRegister(i.Op0Register, index);
    }

    static void Bswap<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        cpu.WriteRegister(i.Op0Register, BitOps.Bswap(cpu.ReadRegister<T>(i.Op0Register)));
    }

    /// <summary>SETcc r/m8: 1 when the condition holds, else 0.</summary>
    static void Setcc(Cpu cpu, in Instruction i)
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        cpu.WriteOperand<byte>(i, 0, cpu.EvaluateCondition((int)i.ConditionCode - 1) ? (byte)1 : (byte)0);
    }
}
