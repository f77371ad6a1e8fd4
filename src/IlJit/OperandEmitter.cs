using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>Pushes the source operands of the inline register forms, as the interpreter's handlers read them.</summary>
static class OperandEmitter
{
    /// <summary>
    /// Operand 1 of <paramref name="i"/> at the destination's width, as ReadOperand&lt;T&gt; reads it:
    /// a register at its own width (<see cref="RegisterLocals.EmitRead"/>) or the immediate.
    /// </summary>
    public static void EmitSource(ILGenerator il, RegisterLocals regs, in Instruction i)
    {
        if (i.Op1Kind == OpKind.Register) regs.EmitRead(i.Op1Register);
        else EmitImmediate(il, i.Op0Register, i.GetImmediate(1));
    }

    /// <summary>
    /// An immediate (Iced gives it sign-extended to the operand size) at the width of
    /// <paramref name="dest"/>: ulong for a 64-bit destination, else its low 32 bits as int32.
    /// </summary>
    public static void EmitImmediate(ILGenerator il, Register dest, ulong imm)
    {
        if (dest.IsGPR64()) il.Emit(OpCodes.Ldc_I8, (long)imm);
        else il.Emit(OpCodes.Ldc_I4, unchecked((int)(uint)imm));
    }
}
