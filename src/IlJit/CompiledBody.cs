using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// A compiled block: runs <paramref name="insns"/> (the block's own instruction array) from its
/// first instruction with <c>cpu.CodeDelta</c> already set, and returns how many instructions it
/// completed (the block length, or the index of the instruction that stopped it).
/// </summary>
public delegate int CompiledBody(JitVirt.Cpu.Cpu cpu, Instruction[] insns);
