using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Semantics.Integer;

namespace JitVirt.Cpu.Semantics;

/// <summary>AND OR XOR TEST NOT (SDM vol.2), plus the carry/direction/AH flag instructions (<see cref="FlagInstructions"/>).</summary>
static unsafe class Logic
{
    public static void Register()
    {
        Forms.RegisterBinary<AndOp>(Mnemonic.And);
        Forms.RegisterBinary<OrOp>(Mnemonic.Or);
        Forms.RegisterBinary<XorOp>(Mnemonic.Xor);
        Forms.RegisterBinary<TestOp>(Mnemonic.Test);
        Forms.RegisterUnary<NotOp>(Mnemonic.Not);
        FlagInstructions.Register();
    }

    struct AndOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.And(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct OrOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Or(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct XorOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Xor(cpu, a, b);
        public static bool WritesResult => true;
        public static bool Lockable => true;
    }

    struct TestOp : IBinaryOp
    {
        public static T Apply<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> { Alu.Test(cpu, a, b); return a; }
        public static bool WritesResult => false;
        public static bool Lockable => false;
    }

    struct NotOp : IUnaryOp
    {
        public static T Apply<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => Alu.Not(a);
    }
}
