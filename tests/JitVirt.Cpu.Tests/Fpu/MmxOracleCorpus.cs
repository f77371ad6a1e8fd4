using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Sse;
using JitVirt.NativeOracle;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// The MMX oracle corpus: every legacy-encoded form Iced knows with an MMX register operand whose
/// CPUID features are within MMX/SSE/SSE2 (the MMX set, SSE's PSHUFW/PAVG*/PMIN*/PMAX*/PMOVMSKB/
/// PEXTRW/PINSRW/PSADBW/PMULHUW/MASKMOVQ/MOVNTQ/CVT*PI*, SSE2's MOVQ2DQ/MOVDQ2Q/PADDQ/PSUBQ/PMULUDQ
/// on MM) and EMMS. The oracle carries no x87 state, so each case goes through memory:
/// <code>
/// FNINIT; MOVQ MM0..MM7, [scratch+In]; the instruction; MOVQ [scratch+Out], MM0..MM7;
/// FNSTENV [scratch+Env]; EMMS
/// </code>
/// and the stored registers and the FCW/FSW/FTW of the environment image (TOP and the tags the
/// instruction left, SDM vol.1 §9.5.1) are compared with the scratch block; the image's instruction
/// and data pointers are not (MMX instructions do not define them). One case in four first puts the
/// x87 stack in use (EMMS; FLD1 once or twice: TOP = 7 or 6), one in eight leaves an unmasked x87 exception
/// pending (#MF expected from every instruction that touches an MMX register).
/// </summary>
public static class MmxOracleCorpus
{
    /// <summary>Scratch offsets: MM inputs, MM outputs, the FNSTENV image (28 bytes in 64-bit mode without REX.W, SDM vol.1 Figure 8-9).</summary>
    public const int In = 0xF00, Out = 0xF40, Env = 0xF80, ControlWord = 0xFA0;

    /// <summary>The FNSTENV bytes not compared: FPU instruction pointer, selector/opcode, data pointer and selector.</summary>
    public const int IgnoreFrom = Env + 12, IgnoreTo = Env + 28;

    static readonly AssemblerRegisterMM[] Mm = [mm0, mm1, mm2, mm3, mm4, mm5, mm6, mm7];

    public static bool HasMmxOperand(OpCodeInfo op) =>
        Enumerable.Range(0, op.OpCount).Any(k => SimdInstructionBuilder.IsMmxKind(op.GetOpKind(k)));

    public static List<SimdOracleForm> Forms()
    {
        var forms = new List<SimdOracleForm>();
        for (int c = 1; c < HandlerTable.CodeCount; c++)
        {
            var code = (Code)c;
            if (!SseRegistry.IsOurs(code)) continue;
            var op = code.ToOpCode();
            if (!op.Mode64) continue;
            if (code.Mnemonic() != Mnemonic.Emms && !HasMmxOperand(op)) continue;
            if (!Enumerable.Range(0, op.OpCount).All(k => SimdInstructionBuilder.IsPlaceable(op.GetOpKind(k)))) continue;
            if (SimdInstructionBuilder.HasMemoryOnly(op)) forms.Add(new SimdOracleForm(code, true));
            else if (SimdInstructionBuilder.HasRegisterOrMemory(op)) { forms.Add(new SimdOracleForm(code, false)); forms.Add(new SimdOracleForm(code, true)); }
            else forms.Add(new SimdOracleForm(code, false));
        }
        return forms;
    }

    public static int Seed(SimdOracleForm form) => ((int)form.Code * 2 + (form.Memory ? 1 : 0)) ^ 0x3DF00D;

    public static IEnumerable<SimdOracleCase> Cases(OracleLayout layout, int perForm)
    {
        foreach (var form in Forms())
        {
            var rng = new Random(Seed(form));
            for (int k = 0; k < perForm; k++) yield return Build(form, layout, rng);
        }
    }

    public static SimdOracleCase Build(SimdOracleForm form, OracleLayout layout, Random rng)
    {
        var state = new OracleState(layout);
        for (int k = 0; k < 16; k++) state.Xmm[k] = SimdOracleValues.RandomXmm(rng);
        for (int k = 0; k < 16; k++) if (k != GprIndex.Rsp) state.Gpr[k] = SimdOracleValues.RandomInteger(rng);
        SimdOracleValues.FillMemory(state.Scratch, rng);
        for (int k = 0; k < 8; k++) BitConverter.TryWriteBytes(state.Scratch.AsSpan(In + 8 * k), SimdOracleValues.RandomPacked64(rng));
        state.Scratch.AsSpan(Out).Clear();
        state.Mxcsr = SimdOracleValues.RandomMxcsr(rng);
        state.Rflags = X86Flags.Reserved1 | ((ulong)rng.Next() & X86Flags.Arithmetic);
        state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
        // MASKMOVQ: 8 bytes at DS:rDI inside the operand area, sometimes misaligned.
        state.Gpr[GprIndex.Rdi] = layout.ScratchAddress + (ulong)(8 * rng.Next(0, In / 8 - 1) + (rng.Next(4) == 0 ? rng.Next(1, 8) : 0));

        int disp = SimdInstructionBuilder.Displacement(rng, layout, 8 * rng.Next(0, In / 8 - 2), 8);
        var ins = SimdInstructionBuilder.Create(form, disp, rng);
        if (rng.Next(40) == 0) ins.HasLockPrefix = true;

        var a = new Assembler(64);
        a.fninit();
        for (int k = 0; k < 8; k++) a.movq(Mm[k], __qword_ptr[rbx + In + 8 * k]);
        string x87 = "";
        switch (rng.Next(8))
        {
            case 0:
                // A pending unmasked x87 exception (SDM vol.1 §8.6): FSQRT(-1) with IM clear sets IE
                // and ES; the next MMX instruction raises #MF (vol.3A §6.15 interrupt 16).
                BitConverter.TryWriteBytes(state.Scratch.AsSpan(ControlWord), (ushort)0x037E);
                a.emms();
                a.fldcw(__word_ptr[rbx + ControlWord]);
                a.fld1();
                a.fchs();
                a.fsqrt();
                x87 = " (x87 IE pending)";
                break;
            case 1: case 2:
                // x87 registers in use: TOP = 7 or 6 and R7 (R6) hold 1.0 (MM7/MM6 = 8000000000000000H);
                // the instruction must reset TOP and tag every register valid (vol.1 §9.5.1).
                a.emms();
                a.fld1();
                if (rng.Next(2) == 0) a.fld1();
                x87 = " (x87 stack in use)";
                break;
        }
        a.AddInstruction(ins);
        for (int k = 0; k < 8; k++) a.movq(__qword_ptr[rbx + Out + 8 * k], Mm[k]);
        a.fnstenv(__[rbx + Env]);
        a.emms();
        var writer = new BytesWriter();
        a.Assemble(writer, layout.CodeAddress64);
        return new SimdOracleCase(form, writer.Bytes.ToArray(), state, SimdInstructionBuilder.Format(ins) + x87);
    }

    sealed class BytesWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
