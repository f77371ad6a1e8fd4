using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Sse;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// The SSE/SSE2 oracle corpus: every legacy-encoded form Iced knows whose CPUID features are within
/// MMX/SSE/SSE2/FXSR/CLFSH (so a form without a handler shows up as a #UD mismatch), minus the forms
/// with an MMX operand (<see cref="MmxOracleCorpus"/>) and FXSAVE/FXRSTOR (they dump the x87 pointers).
/// Each case starts from random XMM registers, GPRs, flags, MXCSR (all rounding modes, DAZ, FTZ,
/// unmasked exceptions so #XM occurs, sticky flags) and scratch memory; memory operands are
/// [RBX+disp], mostly 16-byte aligned, sometimes crossing into or lying in the guard page after
/// the scratch block (#PF with CR2; PREFETCHh must not fault); MASKMOVDQU stores through RDI/EDI into scratch; one case in
/// forty carries a LOCK prefix (#UD, SDM vol.2 §2.1.1).
/// </summary>
public static class SseOracleCorpus
{
    /// <summary>Scratch offset LDMXCSR reads its operand from.</summary>
    const int MxcsrImage = 0x100;

    public static List<SimdOracleForm> Forms()
    {
        var forms = new List<SimdOracleForm>();
        for (int c = 1; c < HandlerTable.CodeCount; c++)
        {
            var code = (Code)c;
            // PAUSE (F3 90) is tagged with its own CPUID feature by Iced but is part of SSE2 (SDM vol.2B PAUSE).
            if (!SseRegistry.IsOurs(code) && code != Code.Pause) continue;
            var op = code.ToOpCode();
            if (!op.Mode64) continue;
            var m = code.Mnemonic();
            if (m is Mnemonic.Fxsave or Mnemonic.Fxsave64 or Mnemonic.Fxrstor or Mnemonic.Fxrstor64) continue;
            if (m is Mnemonic.Emms || MmxOracleCorpus.HasMmxOperand(op)) continue;
            if (!Enumerable.Range(0, op.OpCount).All(k => SimdInstructionBuilder.IsPlaceable(op.GetOpKind(k)))) continue;
            if (SimdInstructionBuilder.HasMemoryOnly(op)) forms.Add(new SimdOracleForm(code, true));
            else if (SimdInstructionBuilder.HasRegisterOrMemory(op)) { forms.Add(new SimdOracleForm(code, false)); forms.Add(new SimdOracleForm(code, true)); }
            else forms.Add(new SimdOracleForm(code, false));
        }
        return forms;
    }

    /// <summary>A stable per-form seed (HashCode.Combine is randomised per process), so a failure reproduces.</summary>
    public static int Seed(SimdOracleForm form) => ((int)form.Code * 2 + (form.Memory ? 1 : 0)) ^ 12345;

    /// <summary><paramref name="perForm"/> cases of every form, form by form.</summary>
    public static IEnumerable<SimdOracleCase> Cases(OracleLayout layout, int perForm)
    {
        foreach (var form in Forms())
        {
            var rng = new Random(Seed(form));
            for (int k = 0; k < perForm; k++) yield return Build(form, layout, rng);
        }
    }

    /// <summary>Builds one case: encodes the instruction and fills registers, MXCSR and scratch memory.</summary>
    public static SimdOracleCase Build(SimdOracleForm form, OracleLayout layout, Random rng, bool allowLock = true)
    {
        var state = new OracleState(layout);
        for (int k = 0; k < 16; k++) state.Xmm[k] = SimdOracleValues.RandomXmm(rng);
        for (int k = 0; k < 16; k++) if (k != GprIndex.Rsp) state.Gpr[k] = SimdOracleValues.RandomInteger(rng);
        SimdOracleValues.FillMemory(state.Scratch, rng);
        state.Mxcsr = SimdOracleValues.RandomMxcsr(rng);
        var m = form.Code.Mnemonic();
        // LDMXCSR operands never set bits 16–17: AMD hosts accept bit 17 (MM, misaligned-exception
        // mask: MXCSR_MASK 0x2FFFF) while JitVirt's MXCSR_MASK is 0xFFFF, so those values are not
        // comparable; reserved bits 18–31 fault on both.
        if (m == Mnemonic.Ldmxcsr && rng.Next(4) != 0)
            BitConverter.TryWriteBytes(state.Scratch.AsSpan(MxcsrImage), SimdOracleValues.RandomMxcsr(rng) | (rng.Next(8) == 0 ? 1u << rng.Next(18, 32) : 0));
        state.Rflags = X86Flags.Reserved1 | ((ulong)rng.Next() & X86Flags.Arithmetic);
        state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
        // MASKMOVDQU: 16 bytes at DS:rDI inside scratch, sometimes misaligned.
        state.Gpr[GprIndex.Rdi] = layout.ScratchAddress + (ulong)(16 * rng.Next(0, 250) + (rng.Next(4) == 0 ? rng.Next(1, 16) : 0));

        int disp = SimdInstructionBuilder.Displacement(rng, layout, 16 * rng.Next(0, 250), 16);
        if (m == Mnemonic.Ldmxcsr) disp = MxcsrImage;
        var ins = SimdInstructionBuilder.Create(form, disp, rng);
        if (rng.Next(40) == 0 && allowLock) ins.HasLockPrefix = true;
        var code = SimdInstructionBuilder.Encode(layout.CodeAddress64, ins);
        return new SimdOracleCase(form, code, state, SimdInstructionBuilder.Format(ins));
    }
}
