using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Integer;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// SHL/SAL SHR SAR ROL ROR RCL RCR by 1, imm8 or CL, and SHLD/SHRD (SDM vol.2). The operations
/// are in <see cref="Shift"/>; the count operand is read as the low byte of CL or the immediate.
/// </summary>
static unsafe class ShiftRotate
{
    public static void Register()
    {
        Forms.RegisterBinary<ShlOp>(Mnemonic.Shl);
        Forms.RegisterBinary<ShlOp>(Mnemonic.Sal);
        Forms.RegisterBinary<ShrOp>(Mnemonic.Shr);
        Forms.RegisterBinary<SarOp>(Mnemonic.Sar);
        Forms.RegisterBinary<RolOp>(Mnemonic.Rol);
        Forms.RegisterBinary<RorOp>(Mnemonic.Ror);
        Forms.RegisterBinary<RclOp>(Mnemonic.Rcl);
        Forms.RegisterBinary<RcrOp>(Mnemonic.Rcr);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Shld))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &DoubleShift<byte, ShldOp>, &DoubleShift<ushort, ShldOp>, &DoubleShift<uint, ShldOp>, &DoubleShift<ulong, ShldOp>));
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Shrd))
            HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &DoubleShift<byte, ShrdOp>, &DoubleShift<ushort, ShrdOp>, &DoubleShift<uint, ShrdOp>, &DoubleShift<ulong, ShrdOp>));
    }

    // The count operand (imm8, CL or the implicit 1) is read at the operand width; only its low
    // 5 or 6 bits matter, so the truncation is harmless.
    struct ShlOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Shl(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct ShrOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Shr(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct SarOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Sar(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct RolOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Rol(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct RorOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Ror(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct RclOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Rcl(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    struct RcrOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Rcr(cpu, a, int.CreateTruncating(b) & 0xFF);
        public static bool WritesResult => true;
        public static bool Lockable => false;
    }

    interface IDoubleShiftOp
    {
        static abstract T Apply<T>(Cpu cpu, T dest, T src, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>;
    }

    struct ShldOp : IDoubleShiftOp
    {
        public static T Apply<T>(Cpu cpu, T dest, T src, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Shld(cpu, dest, src, count);
    }

    struct ShrdOp : IDoubleShiftOp
    {
        public static T Apply<T>(Cpu cpu, T dest, T src, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Shift.Shrd(cpu, dest, src, count);
    }

    /// <summary>SHLD/SHRD r/m, reg, imm8/CL.</summary>
    static void DoubleShift<T, TOp>(Cpu cpu, in Instruction i)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> where TOp : struct, IDoubleShiftOp
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadRegister<T>(i.Op1Register);
        int count = i.Op2Kind == OpKind.Register ? (int)(cpu.Gpr[State.Gpr.Rcx] & 0xFF) : i.Immediate8;
        if (i.Op0Kind == OpKind.Register)
        {
            cpu.WriteRegister(i.Op0Register, TOp.Apply(cpu, cpu.ReadRegister<T>(i.Op0Register), src, count));
            return;
        }
        if (!cpu.TryResolveWritable(i, sizeof(T), out ulong linear)) return;
        bool user = cpu.UserAccess;
        T r = TOp.Apply(cpu, cpu.ReadLinear<T>(linear, user), src, count);
        cpu.WriteLinear(linear, r, user);
    }
}
