using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>Reads and writes sub-registers (AL, AH, AX, EAX, RAX...) of an <see cref="OracleState"/>
/// for setting up cases. Writes keep the other bits (this is state setup, not x86 write semantics).</summary>
internal static class RegisterFile
{
    /// <summary>GPR number (<see cref="GprIndex"/>) holding <paramref name="register"/>.</summary>
    public static int Number(Register register) => register.GetFullRegister() - Register.RAX;

    /// <summary>Bit position of <paramref name="register"/> inside its GPR: 8 for AH/CH/DH/BH, else 0.</summary>
    public static int Shift(Register register) => register is >= Register.AH and <= Register.BH ? 8 : 0;

    public static ulong WidthMask(int bits) => bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;

    public static ulong Read(OracleState state, Register register)
    {
        int bits = register.GetSize() * 8;
        return (state.Gpr[Number(register)] >> Shift(register)) & WidthMask(bits);
    }

    public static void Write(OracleState state, Register register, ulong value)
    {
        int bits = register.GetSize() * 8;
        int shift = Shift(register);
        ulong mask = WidthMask(bits) << shift;
        ref ulong gpr = ref state.Gpr[Number(register)];
        gpr = (gpr & ~mask) | ((value << shift) & mask);
    }

    /// <summary>The accumulator (AL/AX/EAX/RAX) of a width.</summary>
    public static Register Accumulator(int bits) => bits switch
    {
        8 => Register.AL, 16 => Register.AX, 32 => Register.EAX, _ => Register.RAX,
    };

    /// <summary>GPR number <paramref name="number"/> as a register of <paramref name="bits"/> width
    /// (8-bit numbers 4–7 mean SPL/BPL/SIL/DIL, which need REX).</summary>
    public static Register OfWidth(int number, int bits) => bits switch
    {
        8 => number < 4 ? Register.AL + number : number < 8 ? Register.SPL + (number - 4) : Register.R8L + (number - 8),
        16 => Register.AX + number,
        32 => Register.EAX + number,
        _ => Register.RAX + number,
    };
}
