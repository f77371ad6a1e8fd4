using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

public sealed partial class Cpu
{
    /// <summary>Reads a GPR named by Iced at the width of <typeparamref name="T"/> (which must match the register's width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T ReadRegister<T>(Register reg) where T : unmanaged, IBinaryInteger<T>
    {
        int r = (int)reg;
        ulong v = Gpr[RegisterMap.GprIndex[r]];
        if (RegisterMap.IsHigh8[r]) v >>= 8;
        return T.CreateTruncating(v);
    }

    /// <summary>
    /// Writes a GPR named by Iced: 8/16-bit writes merge, 32-bit writes zero-extend to 64 bits,
    /// 64-bit writes replace (SDM vol.1 §3.4.1.1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteRegister<T>(Register reg, T value) where T : unmanaged, IBinaryInteger<T>
    {
        int r = (int)reg;
        ref ulong slot = ref Gpr[RegisterMap.GprIndex[r]];
        ulong v = ulong.CreateTruncating(value);
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                slot = RegisterMap.IsHigh8[r] ? (slot & ~0xFF00ul) | (v << 8) : (slot & ~0xFFul) | v;
                break;
            case 2: slot = (slot & ~0xFFFFul) | v; break;
            case 4: slot = v; break;
            default: slot = v; break;
        }
    }

    /// <summary>Reads any GPR zero-extended to 64 bits, whatever its width.</summary>
    public ulong ReadRegisterZx(Register reg)
    {
        int r = (int)reg;
        ulong v = Gpr[RegisterMap.GprIndex[r]];
        if (RegisterMap.IsHigh8[r]) return (v >> 8) & 0xFF;
        return RegisterMap.Width[r] switch { 1 => v & 0xFF, 2 => v & 0xFFFF, 4 => v & 0xFFFF_FFFF, _ => v };
    }

    /// <summary>Writes any GPR with the merge/zero-extend rule of its width.</summary>
    public void WriteRegisterSized(Register reg, ulong value)
    {
        switch (RegisterMap.Width[(int)reg])
        {
            case 1: WriteRegister(reg, (byte)value); break;
            case 2: WriteRegister(reg, (ushort)value); break;
            case 4: WriteRegister(reg, (uint)value); break;
            default: WriteRegister(reg, value); break;
        }
    }
}
