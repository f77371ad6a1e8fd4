using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>Operand access for instruction semantics, driven by Iced's operand kinds.</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// The effective address (segment offset) of the instruction's ModRM/moffs memory operand,
    /// truncated to the address size (SDM vol.1 §3.7.5). RIP-relative operands are relocated by
    /// <see cref="CodeDelta"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong EffectiveAddress(in Instruction i)
    {
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        ulong ea = i.MemoryDisplacement64;
        if (b == Register.RIP) return ea + CodeDelta;
        if (b == Register.EIP) return (ea + CodeDelta) & 0xFFFF_FFFF;
        int width;
        if (b != Register.None) { ea += Gpr[RegisterMap.GprIndex[(int)b]]; width = RegisterMap.Width[(int)b]; }
        else width = x != Register.None ? RegisterMap.Width[(int)x] : i.MemoryDisplSize;
        if (x != Register.None) ea += Gpr[RegisterMap.GprIndex[(int)x]] * (ulong)i.MemoryIndexScale;
        return width switch { 2 => ea & 0xFFFF, 4 => ea & 0xFFFF_FFFF, _ => ea };
    }

    /// <summary>The segment register number of the memory operand (prefix or default; SDM vol.1 §3.7.4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MemorySegment(in Instruction i) => i.MemorySegment - Register.ES;

    /// <summary>Reads operand <paramref name="n"/> (register, memory or immediate) at the width of <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T ReadOperand<T>(in Instruction i, int n) where T : unmanaged, IBinaryInteger<T>
    {
        var kind = i.GetOpKind(n);
        if (kind == OpKind.Register) return ReadRegister<T>(i.GetOpRegister(n));
        if (kind == OpKind.Memory) return Read<T>(MemorySegment(i), EffectiveAddress(i));
        return T.CreateTruncating(i.GetImmediate(n));
    }

    /// <summary>Writes operand <paramref name="n"/> (register or memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteOperand<T>(in Instruction i, int n, T value) where T : unmanaged, IBinaryInteger<T>
    {
        if (i.GetOpKind(n) == OpKind.Register) WriteRegister(i.GetOpRegister(n), value);
        else Write(MemorySegment(i), EffectiveAddress(i), value);
    }

    /// <summary>
    /// Resolves the memory operand for a read-modify-write: segment checks for a write and a
    /// write probe of the page(s), so the later <see cref="WriteLinear{T}"/> cannot fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryResolveWritable(in Instruction i, int size, out ulong linear)
        => TryWritableLinear(MemorySegment(i), EffectiveAddress(i), size, out linear);

    // ------------------------------------------------------------------ stack

    /// <summary>Mask of the stack pointer for the current stack address size.</summary>
    public ulong StackPointerMask => StackAddressSize switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };

    /// <summary>
    /// Writes <paramref name="value"/> below <paramref name="rsp"/> and updates the local copy;
    /// the caller commits it to RSP once the whole instruction has succeeded.
    /// </summary>
    public bool TryPush<T>(ref ulong rsp, T value) where T : unmanaged
    {
        ulong mask = StackPointerMask;
        ulong sp = (rsp - (ulong)Unsafe.SizeOf<T>()) & mask;
        Write(SegmentIndex.Ss, sp, value);
        if (Faulted) return false;
        rsp = (rsp & ~mask) | sp;
        return true;
    }

    /// <summary>Reads the value at <paramref name="rsp"/> and advances the local copy.</summary>
    public bool TryPop<T>(ref ulong rsp, out T value) where T : unmanaged
    {
        ulong mask = StackPointerMask;
        value = Read<T>(SegmentIndex.Ss, rsp & mask);
        if (Faulted) return false;
        rsp = (rsp & ~mask) | ((rsp + (ulong)Unsafe.SizeOf<T>()) & mask);
        return true;
    }

    public void Push<T>(T value) where T : unmanaged
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        if (TryPush(ref rsp, value)) Gpr[State.Gpr.Rsp] = rsp;
    }

    public T Pop<T>() where T : unmanaged
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        if (!TryPop(ref rsp, out T v)) return default;
        Gpr[State.Gpr.Rsp] = rsp;
        return v;
    }

    /// <summary>Reads a value from the top of the stack plus <paramref name="offset"/> without popping.</summary>
    public T PeekStack<T>(ulong offset) where T : unmanaged
        => Read<T>(SegmentIndex.Ss, (Gpr[State.Gpr.Rsp] + offset) & StackPointerMask);

    // ------------------------------------------------------------------ branch targets

    /// <summary>
    /// The target of a near relative branch, relocated by <see cref="CodeDelta"/> and truncated to
    /// the operand size (SDM vol.2 JMP: "IF OperandSize = 16 THEN EIP ← EIP AND 0000FFFFH").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NearBranchTarget(in Instruction i)
    {
        ulong t = i.NearBranchTarget + CodeDelta;
        return i.Op0Kind switch
        {
            OpKind.NearBranch16 => t & 0xFFFF,
            OpKind.NearBranch32 => t & 0xFFFF_FFFF,
            _ => t,
        };
    }
}
