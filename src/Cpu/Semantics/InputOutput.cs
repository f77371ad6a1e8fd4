using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.DataFlow.FormInfo;

namespace JitVirt.Cpu.Semantics;

/// <summary>IN and OUT (imm8 and DX forms, 8/16/32 bits) through <see cref="Cpu.Io"/>, after <see cref="Cpu.CheckIoPermission"/>.</summary>
public static unsafe class InputOutput
{
    public static void Register()
    {
        foreach (var code in HandlerTable.FormsOf(Mnemonic.In)) SetByWidth(code, &In<byte>, &In<ushort>, &In<uint>, null);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Out)) SetByWidth(code, &Out<byte>, &Out<ushort>, &Out<uint>, null);
    }

    /// <summary>IN AL/AX/EAX, imm8 or DX. A 32-bit read into EAX zero-extends into RAX.</summary>
    public static void In<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ushort port = i.Op1Kind == OpKind.Register ? (ushort)cpu.Gpr[Gpr.Rdx] : i.Immediate8;
        if (!cpu.CheckIoPermission(port, sizeof(T))) return;
        uint value = cpu.Io.In(port, sizeof(T));
        cpu.WriteRegister(i.Op0Register, T.CreateTruncating(value));
    }

    /// <summary>OUT imm8 or DX, AL/AX/EAX.</summary>
    public static void Out<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ushort port = i.Op0Kind == OpKind.Register ? (ushort)cpu.Gpr[Gpr.Rdx] : i.Immediate8;
        if (!cpu.CheckIoPermission(port, sizeof(T))) return;
        cpu.Io.Out(port, sizeof(T), uint.CreateTruncating(cpu.ReadRegister<T>(i.Op1Register)));
    }
}
