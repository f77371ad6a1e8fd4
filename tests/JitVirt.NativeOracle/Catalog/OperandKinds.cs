using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>Classifies Iced <see cref="OpCodeOperandKind"/>s for the catalogue and the generator.</summary>
internal static class OperandKinds
{
    public static bool IsRegisterOrMemory(OpCodeOperandKind kind) => kind is
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem;

    public static bool IsSupported(OpCodeOperandKind kind, ExecutionMode mode) => kind switch
    {
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem => true,
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode => true,
        OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode => true,
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode => true,
        OpCodeOperandKind.r64_or_mem or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode => mode == ExecutionMode.Long64,
        OpCodeOperandKind.mem => true,
        OpCodeOperandKind.al or OpCodeOperandKind.cl or OpCodeOperandKind.ax or OpCodeOperandKind.eax => true,
        OpCodeOperandKind.rax => mode == ExecutionMode.Long64,
        OpCodeOperandKind.imm8 or OpCodeOperandKind.imm8_const_1 or OpCodeOperandKind.imm8sex16 or
        OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm16 or OpCodeOperandKind.imm32 => true,
        OpCodeOperandKind.imm8sex64 or OpCodeOperandKind.imm32sex64 or OpCodeOperandKind.imm64 => mode == ExecutionMode.Long64,
        _ => false,
    };

    /// <summary>Register width in bits of a register (or r/m) operand kind, 0 if not a GPR kind.</summary>
    public static int RegisterWidth(OpCodeOperandKind kind) => kind switch
    {
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.al or OpCodeOperandKind.cl => 8,
        OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode or OpCodeOperandKind.ax => 16,
        OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.eax => 32,
        OpCodeOperandKind.r64_or_mem or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode or OpCodeOperandKind.rax => 64,
        _ => 0,
    };
}
