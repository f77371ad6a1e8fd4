using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// A flag record left unwritten on the paths that stay in compiled code, and written on the
/// paths that leave. The last flag writer of a member whose every successor is a member that
/// replaces the record before reading it (<see cref="FlagLiveness.DeadAtEntry"/>) only matters
/// when an edge leaves the region instead (budget, pending event, TF): the instruction is emitted
/// without its record, its inputs are kept in locals, and each such exit calls the same semantics
/// method the flag-writing form calls with those inputs (discarding the result), so the record the
/// guest sees there is the interpreter's by construction.
/// </summary>
sealed class DeferredFlagRecord
{
    readonly MethodInfo _method;
    readonly LocalBuilder _first;
    readonly LocalBuilder? _second;
    readonly long _constant; // the second operand when it is an immediate (a shift count, IMUL's imm)
    readonly Type _constantType;
    readonly LocalBuilder? _high; // IMUL's discarded upper half (an out parameter)

    DeferredFlagRecord(MethodInfo method, LocalBuilder first, LocalBuilder? second, long constant, Type constantType, LocalBuilder? high)
    {
        _method = method; _first = first; _second = second; _constant = constant; _constantType = constantType; _high = high;
    }

    /// <summary>
    /// Keeps the inputs of <paramref name="i"/> (an inline ADD/SUB/AND/OR/XOR/CMP/TEST r, r/imm,
    /// shift r, imm8 or IMUL r, r[, imm]) in new locals; emits the reads that fill them, which
    /// must come before the instruction's own emission (it may overwrite an input).
    /// </summary>
    public static DeferredFlagRecord Capture(ILGenerator il, RegisterLocals regs, in Instruction i, InlineForms.Kind kind)
    {
        var dest = i.Op0Register;
        var type = dest.IsGPR64() ? typeof(ulong) : typeof(uint);
        var first = il.DeclareLocal(type);
        switch (kind)
        {
            case InlineForms.Kind.Binary:
            {
                regs.EmitRead(dest);
                il.Emit(OpCodes.Stloc, first);
                var method = Members.Alu(i.Mnemonic.ToString(), type);
                if (i.Op1Kind != OpKind.Register) return new(method, first, null, (long)i.GetImmediate(1), type, null);
                var second = il.DeclareLocal(type);
                regs.EmitRead(i.Op1Register);
                il.Emit(OpCodes.Stloc, second);
                return new(method, first, second, 0, type, null);
            }
            case InlineForms.Kind.Shift:
            {
                regs.EmitRead(dest);
                il.Emit(OpCodes.Stloc, first);
                string name = i.Mnemonic == Mnemonic.Sal ? "Shl" : i.Mnemonic.ToString();
                return new(Members.Shift(name, type), first, null, (long)(i.GetImmediate(1) & 0xFF), typeof(int), null);
            }
            case InlineForms.Kind.Multiply:
            {
                // Alu.IMul(cpu, r/m, reg-or-imm, out high), the handler's operand order.
                regs.EmitRead(i.Op1Register);
                il.Emit(OpCodes.Stloc, first);
                var method = Members.Alu("IMul", type);
                var high = il.DeclareLocal(type);
                if (i.OpCount == 3) return new(method, first, null, (long)i.GetImmediate(2), type, high);
                var second = il.DeclareLocal(type);
                regs.EmitRead(dest);
                il.Emit(OpCodes.Stloc, second);
                return new(method, first, second, 0, type, high);
            }
            default:
                throw new ArgumentException($"{kind} has no deferrable flag record", nameof(kind));
        }
    }

    /// <summary>True for the inline kinds <see cref="Capture"/> handles (register forms that cannot fault).</summary>
    public static bool CanDefer(InlineForms.Kind kind) => kind is InlineForms.Kind.Binary or InlineForms.Kind.Shift or InlineForms.Kind.Multiply;

    /// <summary>Writes the record: the semantics method on the kept inputs, its result dropped.</summary>
    public void EmitWrite(ILGenerator il)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, _first);
        if (_second is not null) il.Emit(OpCodes.Ldloc, _second);
        else if (_constantType == typeof(ulong)) il.Emit(OpCodes.Ldc_I8, _constant);
        else il.Emit(OpCodes.Ldc_I4, unchecked((int)_constant));
        if (_high is not null) il.Emit(OpCodes.Ldloca, _high);
        il.Emit(OpCodes.Call, _method);
        if (_method.ReturnType != typeof(void)) il.Emit(OpCodes.Pop);
    }
}
