using Iced.Intel;
using JitVirt.Cpu.Execution;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// NOP in all its forms (one-byte, 0F 1F multi-byte, the 0F 18–1F reserved-NOP and PREFETCHh hint
/// space, PAUSE, and the CET hint forms of 0F 1E that are NOPs without CET), HLT, and the defined-undefined UD0/UD1/UD2 (#UD without being counted as
/// unimplemented). The multi-byte NOP's ModRM operand is never accessed.
/// </summary>
public static unsafe class Miscellaneous
{
    public static void Register()
    {
        // CET's ENDBR32/ENDBR64 (F3 0F 1E FB/FA) and RDSSPD/RDSSPQ (F3 0F 1E /1) sit in the 0F 1E reserved-NOP
        // space so that CET-enabled code runs unchanged on older processors: without CET (CPUID leaf 7 EDX[20] /
        // ECX[7], which the model does not report) they are NOPs and RDSSP leaves its register as it was (SDM
        // vol.2 ENDBR64, RDSSPD/RDSSPQ; vol.1 §18.2). Debian's busybox and glibc begin functions with ENDBR64.
        foreach (var m in new[] { Mnemonic.Nop, Mnemonic.Reservednop, Mnemonic.Pause, Mnemonic.Prefetchnta, Mnemonic.Prefetcht0, Mnemonic.Prefetcht1, Mnemonic.Prefetcht2,
                                  Mnemonic.Endbr32, Mnemonic.Endbr64, Mnemonic.Rdsspd, Mnemonic.Rdsspq })
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
