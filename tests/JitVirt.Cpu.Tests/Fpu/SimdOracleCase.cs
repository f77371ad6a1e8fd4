using Iced.Intel;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>One instruction form of a SIMD oracle corpus: an Iced code, with its r/m operand in memory or in a register.</summary>
public sealed record SimdOracleForm(Code Code, bool Memory)
{
    public override string ToString() => Code + (Memory ? "/mem" : "/reg");
}

/// <summary>One generated case: the code bytes to run, the state to start from and the instruction's text.</summary>
public sealed record SimdOracleCase(SimdOracleForm Form, byte[] Code, OracleState Initial, string Text);
