using System.Reflection;
using Iced.Intel;
using JitVirt.Cpu.Semantics;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.IlJit;

/// <summary>
/// Interpreter handlers the compiler calls with a direct <c>call</c> instead of <c>calli</c>, so
/// the JIT can inline them: the block-ending JMP rel and Jcc rel (ControlFlow.JmpRelative and
/// ControlFlow.Jcc, which evaluate the condition from the lazy flags and #GP on a bad target,
/// SDM vol.2 Jcc/JMP). Matched by handler address, so a form whose table entry is anything
/// else still goes through <c>calli</c>.
/// </summary>
static unsafe class DirectHandlers
{
    static readonly Dictionary<nint, MethodInfo> ByAddress = new()
    {
        [(nint)(delegate*<CpuT, in Instruction, void>)&ControlFlow.Jcc] = Method(nameof(ControlFlow.Jcc)),
        [(nint)(delegate*<CpuT, in Instruction, void>)&ControlFlow.JmpRelative] = Method(nameof(ControlFlow.JmpRelative)),
    };

    public static MethodInfo? Find(nint handler) => ByAddress.TryGetValue(handler, out var m) ? m : null;

    static MethodInfo Method(string name) => typeof(ControlFlow).GetMethod(name, BindingFlags.Public | BindingFlags.Static)
        ?? throw new MissingMethodException(typeof(ControlFlow).FullName, name);
}
