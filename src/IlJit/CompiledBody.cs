using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// A compiled region: runs <paramref name="insns"/> (its members' instructions, see
/// <see cref="CompiledBlock.Insns"/>) from the head's first instruction with <c>cpu.CodeDelta</c>
/// already set, and returns how many instructions of the last block it ran completed (its length,
/// or the index of the instruction that stopped it).
/// At its end it may transfer straight to a linked successor (<see cref="ChainSlot"/>) while
/// <paramref name="budgetEnd"/> − InstructionsRetired covers the successor's head block;
/// <paramref name="self"/> is the region's own <see cref="CompiledBlock"/> (its slots).
/// </summary>
public delegate int CompiledBody(JitVirt.Cpu.Cpu cpu, Instruction[] insns, long budgetEnd, CompiledBlock self);
