using Iced.Intel;
using JitVirt.Cpu.Execution;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// NOP in all its forms (one-byte, 0F 1F multi-byte, the 0F 18–1F reserved-NOP and PREFETCHh hint
/// space, PAUSE), HLT, and the defined-undefined UD0/UD1/UD2 (#UD without being counted as
/// unimplemented). The multi-byte NOP's ModRM operand is never accessed.
/// </summary>
public static unsafe class Miscellaneous
{
    public static void Register()
    {
        foreach (var m in new[] { Mnemonic.Nop, Mnemonic.Reservednop, Mnemonic.Pause, Mnemonic.Prefetchnta, Mnemonic.Prefetcht0, Mnemonic.Prefetcht1, Mnemonic.Prefetcht2 })
            foreach (var code in HandlerTable.FormsOf(m)) HandlerTable.Set(code, &Nop);
        foreach (var m in new[] { Mnemonic.Ud0, Mnemonic.Ud1, Mnemonic.Ud2 })
            foreach (var code in HandlerTable.FormsOf(m)) HandlerTable.Set(code, &Undefined);
        HandlerTable.Set(Code.Hlt, &Hlt);
    }

    public static void Nop(Cpu cpu, in Instruction i) { }

    public static void Undefined(Cpu cpu, in Instruction i) => cpu.RaiseInvalidOpcode();

    /// <summary>HLT: privileged (CPL 0, so also #GP(0) in V86 mode); the executor halts until an interrupt.</summary>
    public static void Hlt(Cpu cpu, in Instruction i)
    {
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        cpu.Pending |= PendingEvent.Halt;
    }
}
