using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.DataFlow;

/// <summary>
/// What the data-flow families read from Iced's metadata when they register forms (operand and
/// address size of a <see cref="Code"/>), and the small register helpers their handlers share.
/// </summary>
public static unsafe class FormInfo
{
    /// <summary>Operand width in bytes of a form: Iced's OpCodeInfo.OperandSize, where 0 means a byte form.</summary>
    public static int OperandBytes(Code code) => code.ToOpCode().OperandSize switch { 0 => 1, 16 => 2, 32 => 4, _ => 8 };

    /// <summary>Address size in bytes fixed by the form (LOOP/JCXZ name CX, ECX or RCX in the form), else 0.</summary>
    public static int FixedAddressBytes(Code code) => code.ToOpCode().AddressSize / 8;

    public static bool HasOperandKind(Code code, OpCodeOperandKind kind)
    {
        var op = code.ToOpCode();
        for (int n = 0; n < op.OpCount; n++) if (op.GetOpKind(n) == kind) return true;
        return false;
    }

    /// <summary>Registers <paramref name="code"/> with the handler that matches its operand width.</summary>
    public static void SetByWidth(Code code,
        delegate*<Cpu, in Instruction, void> h8, delegate*<Cpu, in Instruction, void> h16,
        delegate*<Cpu, in Instruction, void> h32, delegate*<Cpu, in Instruction, void> h64)
    {
        var h = OperandBytes(code) switch { 1 => h8, 2 => h16, 4 => h32, _ => h64 };
        if (h != null) HandlerTable.Set(code, h);
    }

    /// <summary>Registers <paramref name="code"/> with the handler that matches its fixed address size (CX/ECX/RCX forms).</summary>
    public static void SetByAddressSize(Code code,
        delegate*<Cpu, in Instruction, void> a16, delegate*<Cpu, in Instruction, void> a32, delegate*<Cpu, in Instruction, void> a64)
        => HandlerTable.Set(code, FixedAddressBytes(code) switch { 2 => a16, 4 => a32, _ => a64 });

    /// <summary>
    /// Writes GPR <paramref name="index"/> at the width of <typeparamref name="T"/>: 16-bit merges,
    /// 32-bit zero-extends, 64-bit replaces (SDM vol.1 §3.4.1.1). Not for 8-bit values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetGpr<T>(Cpu cpu, int index, T value) where T : unmanaged, IBinaryInteger<T>
    {
        ulong v = ulong.CreateTruncating(value);
        ref ulong slot = ref cpu.Gpr[index];
        slot = sizeof(T) switch { 1 => (slot & ~0xFFul) | v, 2 => (slot & ~0xFFFFul) | v, _ => v };
    }

    /// <summary>Writes a register used as an address (SI, DI, CX, SP…) at address size <paramref name="bytes"/>: 16-bit merges, 32-bit zero-extends.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MergeAddress(ulong old, ulong value, int bytes)
        => bytes switch { 2 => (old & ~0xFFFFul) | (value & 0xFFFF), 4 => value & 0xFFFF_FFFF, _ => value };

    /// <summary>Mask of the address size of the instruction's ModRM/moffs memory operand (how <see cref="Cpu.EffectiveAddress"/> truncates).</summary>
    public static ulong MemoryAddressMask(in Instruction i)
    {
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        int width;
        if (b == Register.RIP) width = 8;
        else if (b == Register.EIP) width = 4;
        else if (b != Register.None) width = RegisterMap.Width[(int)b];
        else width = x != Register.None ? RegisterMap.Width[(int)x] : i.MemoryDisplSize;
        return width switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };
    }

    /// <summary>Address size in bytes of a string instruction's implicit operand (DS:SI/ES:DI forms).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StringAddressBytes(OpKind kind) => kind switch
    {
        OpKind.MemorySegSI or OpKind.MemoryESDI or OpKind.MemorySegDI => 2,
        OpKind.MemorySegESI or OpKind.MemoryESEDI or OpKind.MemorySegEDI => 4,
        _ => 8,
    };
}
