using System.Reflection;
using Iced.Intel;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Semantics.Integer;
using JitVirt.Cpu.State;
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
    public static readonly FieldInfo LazyOp = Field(nameof(CpuT.LazyOp));
    public static readonly MethodInfo EvaluateCondition = typeof(CpuT).GetMethod(nameof(CpuT.EvaluateCondition))!;
    public static readonly MethodInfo GetIpMask = typeof(CpuT).GetProperty(nameof(CpuT.IpMask))!.GetGetMethod()!;

    // The memory fast path (MemoryEmitter): the software TLB, segment bases and what alignment checking depends on.
    public static readonly FieldInfo Cr0 = Field(nameof(CpuT.Cr0));
    public static readonly FieldInfo Tlb = Field(nameof(CpuT.Tlb));
    public static readonly FieldInfo Segments = Field(nameof(CpuT.Segments));
    public static readonly FieldInfo SegmentBase = typeof(SegmentRegister).GetField(nameof(SegmentRegister.Base))!;
    public static readonly MethodInfo GetCpl = typeof(CpuT).GetProperty(nameof(CpuT.Cpl))!.GetGetMethod()!;
    public static readonly MethodInfo TlbTable = typeof(SoftwareTlb).GetMethod(nameof(SoftwareTlb.Table))!;
    public static readonly MethodInfo TlbIndexOf = typeof(SoftwareTlb).GetMethod(nameof(SoftwareTlb.IndexOf))!;
    public static readonly FieldInfo TlbGeneration = typeof(SoftwareTlb).GetField(nameof(SoftwareTlb.Generation))!;
    public static readonly FieldInfo EntryTag = typeof(SoftwareTlb.Entry).GetField(nameof(SoftwareTlb.Entry.Tag))!;
    public static readonly FieldInfo EntryHostAddend = typeof(SoftwareTlb.Entry).GetField(nameof(SoftwareTlb.Entry.HostAddend))!;

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

    /// <summary>The width-generic shift or rotate <paramref name="name"/> of <see cref="JitVirt.Cpu.Semantics.Integer.Shift"/> instantiated for <paramref name="t"/>.</summary>
    public static MethodInfo Shift(string name, Type t) => Generic(typeof(JitVirt.Cpu.Semantics.Integer.Shift), name, t);

    /// <summary>The width-generic ALU operation <paramref name="name"/> of <see cref="Alu"/> instantiated for <paramref name="t"/>.</summary>
    public static MethodInfo Alu(string name, Type t) => Generic(typeof(Alu), name, t);

    /// <summary>Public static generic method <paramref name="name"/> of <paramref name="owner"/> for <paramref name="t"/>, looked up once per compile process.</summary>
    static MethodInfo Generic(Type owner, string name, Type t)
    {
        var key = (owner, name, t);
        lock (GenericCache)
        {
            if (GenericCache.TryGetValue(key, out var m)) return m;
            m = owner.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!.MakeGenericMethod(t);
            GenericCache[key] = m;
            return m;
        }
    }

    static readonly Dictionary<(Type, string, Type), MethodInfo> GenericCache = new();

    static FieldInfo Field(string name) => typeof(CpuT).GetField(name, BindingFlags.Public | BindingFlags.Instance)
        ?? throw new MissingFieldException(typeof(CpuT).FullName, name);
}
