using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// The condition of a Jcc computed from the inline instruction right before it instead of from the
/// lazy flag record (which that instruction still writes, so nothing else changes): for CMP a, b
/// the SDM's reading of each condition as a comparison (vol.1 Appendix B, Table B-1: B/AE/BE/A
/// unsigned, L/GE/LE/G signed, E/NE equality, S/NS the sign of a − b); for TEST a, b the zero and
/// sign of a AND b; for ADD/SUB/AND/OR/XOR/INC/DEC the zero and sign of the result, which is in the
/// destination's local. Everything else (O, P, the carry of ADD …) goes through Cpu.EvaluateCondition.
/// </summary>
static class FusedCondition
{
    /// <summary>True when <see cref="TryEmit"/> computes <paramref name="cc"/> from <paramref name="previous"/>'s operands.</summary>
    public static bool CanFuse(in Instruction previous, InlineForms.Kind kind, ConditionCode cc)
    {
        bool zeroOrSign = cc is ConditionCode.e or ConditionCode.ne or ConditionCode.s or ConditionCode.ns;
        return kind switch
        {
            InlineForms.Kind.Binary when previous.Mnemonic == Mnemonic.Cmp => cc is not (ConditionCode.o or ConditionCode.no or ConditionCode.p or ConditionCode.np),
            InlineForms.Kind.Binary or InlineForms.Kind.Inc or InlineForms.Kind.Dec => zeroOrSign,
            _ => false,
        };
    }

    /// <summary>Pushes the condition (int32 0/1) and returns true, or emits nothing and returns false.</summary>
    public static bool TryEmit(ILGenerator il, RegisterLocals regs, in Instruction previous, InlineForms.Kind kind, ConditionCode cc)
    {
        if (!CanFuse(previous, kind, cc)) return false;
        bool wide = previous.Op0Register.IsGPR64();
        if (previous.Mnemonic == Mnemonic.Cmp && kind == InlineForms.Kind.Binary) EmitCompare(il, regs, previous, cc, wide);
        else
        {
            regs.EmitRead(previous.Op0Register);
            if (previous.Mnemonic == Mnemonic.Test && kind == InlineForms.Kind.Binary)
            {
                OperandEmitter.EmitSource(il, regs, previous);
                il.Emit(OpCodes.And);
            }
            EmitZeroOrSign(il, cc, wide);
        }
        return true;
    }

    static void EmitCompare(ILGenerator il, RegisterLocals regs, in Instruction cmp, ConditionCode cc, bool wide)
    {
        regs.EmitRead(cmp.Op0Register);
        OperandEmitter.EmitSource(il, regs, cmp);
        switch (cc)
        {
            case ConditionCode.e: il.Emit(OpCodes.Ceq); break;
            case ConditionCode.ne: il.Emit(OpCodes.Ceq); Not(il); break;
            case ConditionCode.b: il.Emit(OpCodes.Clt_Un); break;
            case ConditionCode.ae: il.Emit(OpCodes.Clt_Un); Not(il); break;
            case ConditionCode.a: il.Emit(OpCodes.Cgt_Un); break;
            case ConditionCode.be: il.Emit(OpCodes.Cgt_Un); Not(il); break;
            case ConditionCode.l: il.Emit(OpCodes.Clt); break;
            case ConditionCode.ge: il.Emit(OpCodes.Clt); Not(il); break;
            case ConditionCode.g: il.Emit(OpCodes.Cgt); break;
            case ConditionCode.le: il.Emit(OpCodes.Cgt); Not(il); break;
            default: // s, ns: the sign of a − b at the operand width
                il.Emit(OpCodes.Sub);
                EmitZeroOrSign(il, cc, wide);
                break;
        }
    }

    /// <summary>Pops a value of the operand width; pushes ZF (e), !ZF (ne), SF (s) or !SF (ns).</summary>
    static void EmitZeroOrSign(ILGenerator il, ConditionCode cc, bool wide)
    {
        if (wide) il.Emit(OpCodes.Ldc_I8, 0L); else il.Emit(OpCodes.Ldc_I4_0);
        switch (cc)
        {
            case ConditionCode.e: il.Emit(OpCodes.Ceq); break;
            case ConditionCode.ne: il.Emit(OpCodes.Ceq); Not(il); break;
            case ConditionCode.s: il.Emit(OpCodes.Clt); break;
            default: il.Emit(OpCodes.Clt); Not(il); break;
        }
    }

    static void Not(ILGenerator il)
    {
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ceq);
    }
}
