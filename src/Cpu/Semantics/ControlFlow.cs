using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.DataFlow.FormInfo;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Near control transfers: JMP, Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE, CALL and RET.
/// A target beyond CS.limit (legacy modes) or non-canonical (64-bit mode) is #GP(0) before
/// anything is committed (SDM vol.2 JMP/CALL/RET). Far forms belong to the segments family.
/// </summary>
public static unsafe class ControlFlow
{
    public static void Register()
    {
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Jmp))
        {
            var k = code.ToOpCode().GetOpKind(0);
            if (IsRelative(k)) HandlerTable.Set(code, &JmpRelative);
            else if (k is OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem)
                SetByWidth(code, null, &JmpIndirect<ushort>, &JmpIndirect<uint>, &JmpIndirect<ulong>);
        }
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Call))
        {
            var k = code.ToOpCode().GetOpKind(0);
            if (IsRelative(k)) SetByWidth(code, null, &CallRelative<ushort>, &CallRelative<uint>, &CallRelative<ulong>);
            else if (k is OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem)
                SetByWidth(code, null, &CallIndirect<ushort>, &CallIndirect<uint>, &CallIndirect<ulong>);
        }
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Ret))
        {
            if (code.ToOpCode().OpCount == 0) SetByWidth(code, null, &Ret<ushort>, &Ret<uint>, &Ret<ulong>);
            else SetByWidth(code, null, &RetImm<ushort>, &RetImm<uint>, &RetImm<ulong>);
        }
        foreach (var m in ConditionalJumps)
            foreach (var code in HandlerTable.FormsOf(m))
                if (IsRelative(code.ToOpCode().GetOpKind(0))) HandlerTable.Set(code, &Jcc);
        foreach (var m in new[] { Mnemonic.Jcxz, Mnemonic.Jecxz, Mnemonic.Jrcxz })
            foreach (var code in HandlerTable.FormsOf(m)) SetByAddressSize(code, &Jcxz<ushort>, &Jcxz<uint>, &Jcxz<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Loop)) SetByAddressSize(code, &Loop<ushort>, &Loop<uint>, &Loop<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Loope)) SetByAddressSize(code, &Loope<ushort>, &Loope<uint>, &Loope<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Loopne)) SetByAddressSize(code, &Loopne<ushort>, &Loopne<uint>, &Loopne<ulong>);
    }

    /// <summary>The sixteen Jcc mnemonics in condition-code order (SDM vol.1 Appendix B).</summary>
    static readonly Mnemonic[] ConditionalJumps =
    {
        Mnemonic.Jo, Mnemonic.Jno, Mnemonic.Jb, Mnemonic.Jae, Mnemonic.Je, Mnemonic.Jne, Mnemonic.Jbe, Mnemonic.Ja,
        Mnemonic.Js, Mnemonic.Jns, Mnemonic.Jp, Mnemonic.Jnp, Mnemonic.Jl, Mnemonic.Jge, Mnemonic.Jle, Mnemonic.Jg,
    };

    static bool IsRelative(OpCodeOperandKind k) => k is OpCodeOperandKind.br16_1 or OpCodeOperandKind.br32_1 or OpCodeOperandKind.br64_1
        or OpCodeOperandKind.br16_2 or OpCodeOperandKind.br32_4 or OpCodeOperandKind.br64_4;

    /// <summary>True when <paramref name="target"/> may become RIP: within CS.limit in legacy modes, canonical in 64-bit mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValidNearTarget(Cpu cpu, ulong target)
        => cpu.Is64BitMode ? Cpu.IsCanonical(target) : target <= cpu.Segments[SegmentIndex.Cs].Limit;

    /// <summary>Sets the next RIP to a near target, or raises #GP(0) and returns false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryBranch(Cpu cpu, ulong target)
    {
        if (!IsValidNearTarget(cpu, target)) { cpu.RaiseGeneralProtection(0); return false; }
        cpu.NextRip = target;
        return true;
    }

    // ------------------------------------------------------------------ jumps

    public static void JmpRelative(Cpu cpu, in Instruction i) => TryBranch(cpu, cpu.NearBranchTarget(i));

    public static void JmpIndirect<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        T target = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        TryBranch(cpu, ulong.CreateTruncating(target));
    }

    /// <summary>Jcc: Iced's ConditionCode enumerates o, no, b, ae, … g in the encoding order, after None.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Jcc(Cpu cpu, in Instruction i)
    {
        if (cpu.EvaluateCondition((int)i.ConditionCode - 1)) TryBranch(cpu, cpu.NearBranchTarget(i));
    }

    /// <summary>JCXZ/JECXZ/JRCXZ: the count register's width is the address size (<typeparamref name="A"/>).</summary>
    public static void Jcxz<A>(Cpu cpu, in Instruction i) where A : unmanaged, IBinaryInteger<A>
    {
        if (A.IsZero(A.CreateTruncating(cpu.Gpr[Gpr.Rcx]))) TryBranch(cpu, cpu.NearBranchTarget(i));
    }

    public static void Loop<A>(Cpu cpu, in Instruction i) where A : unmanaged, IBinaryInteger<A> => LoopCore<A>(cpu, i, 0);
    public static void Loope<A>(Cpu cpu, in Instruction i) where A : unmanaged, IBinaryInteger<A> => LoopCore<A>(cpu, i, 1);
    public static void Loopne<A>(Cpu cpu, in Instruction i) where A : unmanaged, IBinaryInteger<A> => LoopCore<A>(cpu, i, 2);

    /// <summary>Decrements the count (without touching flags) and branches while it is non-zero and, for LOOPE/LOOPNE, ZF is 1/0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void LoopCore<A>(Cpu cpu, in Instruction i, int kind) where A : unmanaged, IBinaryInteger<A>
    {
        A count = A.CreateTruncating(cpu.Gpr[Gpr.Rcx]) - A.One;
        bool taken = !A.IsZero(count) && kind switch { 0 => true, 1 => cpu.GetZeroFlag(), _ => !cpu.GetZeroFlag() };
        if (taken && !TryBranch(cpu, cpu.NearBranchTarget(i))) return;
        SetGpr(cpu, Gpr.Rcx, count);
    }

    // ------------------------------------------------------------------ calls and returns

    public static void CallRelative<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
        => CallNear<T>(cpu, cpu.NearBranchTarget(i));

    public static void CallIndirect<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        T target = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        CallNear<T>(cpu, ulong.CreateTruncating(target));
    }

    /// <summary>Near CALL: target check, push of the next RIP at the operand size, then the transfer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CallNear<T>(Cpu cpu, ulong target) where T : unmanaged, IBinaryInteger<T>
    {
        if (!IsValidNearTarget(cpu, target)) { cpu.RaiseGeneralProtection(0); return; }
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        if (!cpu.TryPush(ref rsp, T.CreateTruncating(cpu.NextRip))) return;
        cpu.Gpr[Gpr.Rsp] = rsp;
        cpu.NextRip = target;
    }

    public static void Ret<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T> => ReturnNear<T>(cpu, 0);

    public static void RetImm<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T> => ReturnNear<T>(cpu, i.Immediate16);

    /// <summary>Near RET: pop the target at the operand size, check it, then release <paramref name="release"/> bytes of the stack.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReturnNear<T>(Cpu cpu, ulong release) where T : unmanaged, IBinaryInteger<T>
    {
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        if (!cpu.TryPop(ref rsp, out T popped)) return;
        ulong target = ulong.CreateTruncating(popped);
        if (!IsValidNearTarget(cpu, target)) { cpu.RaiseGeneralProtection(0); return; }
        ulong mask = cpu.StackPointerMask;
        cpu.Gpr[Gpr.Rsp] = (rsp & ~mask) | ((rsp + release) & mask);
        cpu.NextRip = target;
    }
}
