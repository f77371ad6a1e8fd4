using Iced.Intel;
using JitVirt.Cpu.Execution;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Far JMP, far CALL, far RET and IRET. The handlers only decode the operands; the meaning lives
/// in <see cref="Cpu.FarJump"/>, <see cref="Cpu.FarCall"/>, <see cref="Cpu.FarReturn"/> and
/// <see cref="Cpu.InterruptReturn"/> so the JIT tier can call the same code.
/// </summary>
static unsafe class FarControlTransfer
{
    public static void Register()
    {
        HandlerTable.Set(Code.Jmp_ptr1616, &JmpPointer);
        HandlerTable.Set(Code.Jmp_ptr1632, &JmpPointer);
        HandlerTable.Set(Code.Call_ptr1616, &CallPointer);
        HandlerTable.Set(Code.Call_ptr1632, &CallPointer);
        HandlerTable.Set(Code.Jmp_m1616, &JmpMemory);
        HandlerTable.Set(Code.Jmp_m1632, &JmpMemory);
        HandlerTable.Set(Code.Jmp_m1664, &JmpMemory);
        HandlerTable.Set(Code.Call_m1616, &CallMemory);
        HandlerTable.Set(Code.Call_m1632, &CallMemory);
        HandlerTable.Set(Code.Call_m1664, &CallMemory);
        foreach (var code in new[] { Code.Retfw, Code.Retfd, Code.Retfq, Code.Retfw_imm16, Code.Retfd_imm16, Code.Retfq_imm16 })
            HandlerTable.Set(code, &FarReturn);
        HandlerTable.Set(Code.Iretw, &InterruptReturn);
        HandlerTable.Set(Code.Iretd, &InterruptReturn);
        HandlerTable.Set(Code.Iretq, &InterruptReturn);
    }

    /// <summary>Operand size in bytes of a far branch, return or IRET form, from Iced's code.</summary>
    static int OperandSize(Code code) => code switch
    {
        Code.Jmp_ptr1616 or Code.Call_ptr1616 or Code.Jmp_m1616 or Code.Call_m1616 or Code.Retfw or Code.Retfw_imm16 or Code.Iretw => 2,
        Code.Jmp_m1664 or Code.Call_m1664 or Code.Retfq or Code.Retfq_imm16 or Code.Iretq => 8,
        _ => 4,
    };

    static void JmpPointer(Cpu cpu, in Instruction i)
        => cpu.FarJump(i.FarBranchSelector, i.Op0Kind == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32, OperandSize(i.Code));

    static void CallPointer(Cpu cpu, in Instruction i)
        => cpu.FarCall(i.FarBranchSelector, i.Op0Kind == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32, OperandSize(i.Code));

    /// <summary>Reads an m16:16/m16:32/m16:64 far pointer: the offset first, the selector after it (SDM vol.1 §4.3).</summary>
    static bool TryReadFarPointer(Cpu cpu, in Instruction i, int size, out ushort selector, out ulong offset)
    {
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        offset = size switch
        {
            2 => cpu.Read<ushort>(seg, ea),
            4 => cpu.Read<uint>(seg, ea),
            _ => cpu.Read<ulong>(seg, ea),
        };
        selector = cpu.Read<ushort>(seg, ea + (ulong)size);
        return !cpu.Faulted;
    }

    static void JmpMemory(Cpu cpu, in Instruction i)
    {
        int size = OperandSize(i.Code);
        if (TryReadFarPointer(cpu, i, size, out ushort sel, out ulong offset)) cpu.FarJump(sel, offset, size);
    }

    static void CallMemory(Cpu cpu, in Instruction i)
    {
        int size = OperandSize(i.Code);
        if (TryReadFarPointer(cpu, i, size, out ushort sel, out ulong offset)) cpu.FarCall(sel, offset, size);
    }

    static void FarReturn(Cpu cpu, in Instruction i)
        => cpu.FarReturn(OperandSize(i.Code), i.OpCount == 1 ? i.Immediate16 : (ushort)0);

    static void InterruptReturn(Cpu cpu, in Instruction i) => cpu.InterruptReturn(OperandSize(i.Code));
}
