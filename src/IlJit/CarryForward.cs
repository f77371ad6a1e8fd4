using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu.State;

namespace JitVirt.IlJit;

/// <summary>
/// The carry an INC/DEC keeps (SDM vol.2 INC, DEC: "The CF flag is not affected"), taken straight
/// from the ALU instruction before it instead of from that instruction's flag record. When the
/// last flag writer before a live INC/DEC in the same block is an inline ADD/SUB/CMP/AND/OR/XOR/TEST
/// on registers, with only MOV/LEA between them (they neither touch flags nor leave), nothing but
/// the INC/DEC reads that writer's record, and the INC/DEC reads only its CF: the writer is emitted
/// without its record and its CF goes into a local — ADD: the sum wrapped at the width is below the
/// first operand; SUB/CMP: the first operand is below the second (unsigned); the logic operations
/// clear it (SDM vol.1 §3.4.3.1, vol.2 AND/OR/XOR/TEST). The INC/DEC then puts that CF into the
/// static flags and marks the record empty, so its own record (through the interpreter's
/// Alu.Inc/Dec, which keep the static CF) is what the interpreter leaves.
/// </summary>
static class CarryForward
{
    /// <summary>
    /// Per instruction of a block: the index of the INC/DEC whose kept CF it supplies, or −1.
    /// <paramref name="flagsDead"/>: the writes dead-flag elimination already dropped (a dead
    /// INC/DEC needs no CF: its writer stays as it is).
    /// </summary>
    public static int[] Consumers(Instruction[] insns, InlineForms.Kind[] kinds, FlagLiveness.FlagEffect[] effects, bool[] flagsDead)
    {
        var consumer = new int[effects.Length];
        Array.Fill(consumer, -1);
        for (int k = 0; k < effects.Length; k++)
        {
            if (kinds[k] is not (InlineForms.Kind.Inc or InlineForms.Kind.Dec) || flagsDead[k]) continue;
            for (int j = k - 1; j >= 0; j--)
            {
                if (effects[j] == FlagLiveness.FlagEffect.None) continue;
                if (effects[j] == FlagLiveness.FlagEffect.WritesAll && kinds[j] == InlineForms.Kind.Binary) consumer[j] = k;
                break;
            }
        }
        return consumer;
    }

    /// <summary>
    /// Computes the CF of <paramref name="i"/> (an inline ALU instruction on registers) into a new
    /// local (ulong, 0 or <see cref="Rflags.CF"/>); emit it before the instruction itself, which
    /// may overwrite its first operand.
    /// </summary>
    public static LocalBuilder EmitCarryOf(ILGenerator il, RegisterLocals regs, in Instruction i)
    {
        var carry = il.DeclareLocal(typeof(ulong));
        var dest = i.Op0Register;
        switch (i.Mnemonic)
        {
            case Mnemonic.Add:
                regs.EmitRead(dest);
                OperandEmitter.EmitSource(il, regs, i);
                il.Emit(OpCodes.Add);
                if (!dest.IsGPR64()) il.Emit(OpCodes.Conv_U4);
                regs.EmitRead(dest);
                il.Emit(OpCodes.Clt_Un);
                il.Emit(OpCodes.Conv_U8);
                break;
            case Mnemonic.Sub: case Mnemonic.Cmp:
                regs.EmitRead(dest);
                OperandEmitter.EmitSource(il, regs, i);
                il.Emit(OpCodes.Clt_Un);
                il.Emit(OpCodes.Conv_U8);
                break;
            default: // AND, OR, XOR, TEST
                il.Emit(OpCodes.Ldc_I8, 0L);
                break;
        }
        il.Emit(OpCodes.Stloc, carry);
        return carry;
    }

    /// <summary>cpu.RflagsStatic.CF ← carry; cpu.LazyOp ← None (the record is empty, so INC/DEC keep that CF).</summary>
    public static void EmitInstall(ILGenerator il, LocalBuilder carry)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.RflagsStatic);
        il.Emit(OpCodes.Ldc_I8, unchecked((long)~Rflags.CF));
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Ldloc, carry);
        il.Emit(OpCodes.Or);
        il.Emit(OpCodes.Stfld, Members.RflagsStatic);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4_0); // FlagOp.None
        il.Emit(OpCodes.Stfld, Members.LazyOp);
    }
}
