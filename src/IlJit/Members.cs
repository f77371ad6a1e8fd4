using System.Reflection;
using Iced.Intel;
using JitVirt.Cpu.Semantics.Integer;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.IlJit;

/// <summary>Fields and methods the emitter refers to, looked up once (reflection only at compile time).</summary>
static class Members
{
    public static readonly FieldInfo Gpr = Field(nameof(CpuT.Gpr));
    public static readonly FieldInfo Rip = Field(nameof(CpuT.Rip));
    public static readonly FieldInfo NextRip = Field(nameof(CpuT.NextRip));
    public static readonly FieldInfo CodeDelta = Field(nameof(CpuT.CodeDelta));
    public static readonly FieldInfo Pending = Field(nameof(CpuT.Pending));
    public static readonly FieldInfo InterruptShadow = Field(nameof(CpuT.InterruptShadow));
    public static readonly FieldInfo InstructionsRetired = Field(nameof(CpuT.InstructionsRetired));
    public static readonly FieldInfo RflagsStatic = Field(nameof(CpuT.RflagsStatic));
    public static readonly MethodInfo EvaluateCondition = typeof(CpuT).GetMethod(nameof(CpuT.EvaluateCondition))!;
    public static readonly MethodInfo GetIpMask = typeof(CpuT).GetProperty(nameof(CpuT.IpMask))!.GetGetMethod()!;

    public static readonly Type InstructionByRef = typeof(Instruction).MakeByRefType();

    public static readonly FieldInfo BlockSlots = typeof(CompiledBlock).GetField(nameof(CompiledBlock.Slots))!;
    public static readonly FieldInfo BlockState = typeof(CompiledBlock).GetField(nameof(CompiledBlock.State))!;
    public static readonly FieldInfo BlockBody = typeof(CompiledBlock).GetField(nameof(CompiledBlock.Body))!;
    public static readonly FieldInfo BlockLastRun = typeof(CompiledBlock).GetField(nameof(CompiledBlock.LastRun))!;
    public static readonly FieldInfo BlockInsns = typeof(CompiledBlock).GetField(nameof(CompiledBlock.Insns))!;
    public static readonly FieldInfo StateLast = typeof(ChainState).GetField(nameof(ChainState.Last))!;
    public static readonly FieldInfo SlotRip = typeof(ChainSlot).GetField(nameof(ChainSlot.Rip))!;
    public static readonly FieldInfo SlotCodeDelta = typeof(ChainSlot).GetField(nameof(ChainSlot.CodeDelta))!;
    public static readonly FieldInfo SlotLength = typeof(ChainSlot).GetField(nameof(ChainSlot.Length))!;
    public static readonly FieldInfo SlotTarget = typeof(ChainSlot).GetField(nameof(ChainSlot.Target))!;
    public static readonly MethodInfo BodyInvoke = typeof(CompiledBody).GetMethod(nameof(CompiledBody.Invoke))!;

    /// <summary>The width-generic ALU operation <paramref name="name"/> of <see cref="Alu"/> instantiated for <paramref name="t"/>.</summary>
    public static MethodInfo Alu(string name, Type t)
    {
        var key = (name, t);
        lock (AluCache)
        {
            if (AluCache.TryGetValue(key, out var m)) return m;
            m = typeof(Alu).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!.MakeGenericMethod(t);
            AluCache[key] = m;
            return m;
        }
    }

    static readonly Dictionary<(string, Type), MethodInfo> AluCache = new();

    static FieldInfo Field(string name) => typeof(CpuT).GetField(name, BindingFlags.Public | BindingFlags.Instance)
        ?? throw new MissingFieldException(typeof(CpuT).FullName, name);
}
