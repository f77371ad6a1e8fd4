using System.Text;
using Iced.Intel;
using JitVirt.NativeOracle;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>One generated x87 case: the form under test, its code slot and the state it starts from.</summary>
public sealed record X87Case(Code Form, string Family, byte[] Code, OracleState Initial, int Seed);

/// <summary>
/// The x87 host-oracle corpus: every x87 instruction form Iced knows that runs in 64-bit user mode
/// (enumerated from Iced's opcode tables, see <see cref="Forms"/>), each run from random states.
/// A case is one code slot:
/// <code>
///   FNINIT; FLDCW [setup cw]           ; all exceptions masked while the stack is built
///   FLD m80 × 8, FSTP ST(0) × (8−depth) ; random 80-bit values (any encoding the format allows)
///   FNCLEX (mostly)                     ; without it a flag raised by the loads may become pending
///   FLDCW [test cw]                     ; random PC (24/53/64), RC (all four), sometimes unmasked exceptions
///   the instruction under test          ; memory operand (if any) at scratch+Mem, random contents
///   FWAIT (sometimes)                   ; turns a pending unmasked exception into #MF
///   FNSAVE [scratch+Save]               ; non-waiting: FCW, FSW (C0–C3, TOP, flags, ES, B), tags, ST(0..7)
/// </code>
/// and its outcome is the oracle state (GPRs incl. AX from FNSTSW, RFLAGS from FCOMI, the scratch
/// block incl. memory results and the FNSAVE image, and any fault). <see cref="Diff"/> compares two
/// outcomes as the architecture defines them (register contents of empty slots and the FIP/FDP
/// pointer fields are not compared, see there).
/// </summary>
public static class X87OracleCorpus
{
    /// <summary>Scratch offsets: control words, the eight stack operands, the memory operand, the FNSAVE image.</summary>
    public const int SetupCw = 0x000, TestCw = 0x002, Stack = 0x010, Mem = 0x100, Save = 0x200, SaveSize = 108;

    /// <summary>Families whose results depend on the transcendental approximation (FSIN … FYL2XP1).</summary>
    public static readonly HashSet<Mnemonic> Transcendental = new()
    {
        Mnemonic.Fsin, Mnemonic.Fcos, Mnemonic.Fsincos, Mnemonic.Fptan, Mnemonic.Fpatan,
        Mnemonic.F2xm1, Mnemonic.Fyl2x, Mnemonic.Fyl2xp1,
    };

    /// <summary>
    /// x87 codes left out, with the reason. Everything else whose mnemonic is an x87 one (F*, WAIT),
    /// legacy-encoded and valid in 64-bit mode is in the corpus.
    /// </summary>
    public static readonly IReadOnlyDictionary<Mnemonic, string> Excluded = new Dictionary<Mnemonic, string>
    {
        // SSE3 (CPUID.1:ECX.SSE3). JitVirt's CPUID model advertises FPU MMX FXSR SSE SSE2 only, so
        // the guest may not use it; the host has SSE3, so the outcomes (#UD vs a result) differ by design.
        [Mnemonic.Fisttp] = "SSE3, not advertised by JitVirt's CPUID",
        // FXSAVE/FXRSTOR (0F AE /0 /1) are FXSR state instructions outside the x87 opcode space
        // (D8–DF); they have their own tests with the SSE state.
        [Mnemonic.Fxsave] = "FXSR (0F AE), not an x87 opcode", [Mnemonic.Fxsave64] = "FXSR (0F AE), not an x87 opcode",
        [Mnemonic.Fxrstor] = "FXSR (0F AE), not an x87 opcode", [Mnemonic.Fxrstor64] = "FXSR (0F AE), not an x87 opcode",
        // 3DNow! (0F 0E): not x87, and neither JitVirt nor a Zen 4 implements 3DNow!.
        [Mnemonic.Femms] = "3DNow!, not x87",
        // i287XL / i387SL-only encodings (DB E5 FRSTPM, DD FC FSTDW/FNSTDW, DD FD FSTSG/FNSTSG):
        // Iced decodes them only with DecoderOptions for those chips; on any later CPU the bytes
        // are other (reserved) encodings.
        [Mnemonic.Frstpm] = "i287XL only", [Mnemonic.Fstdw] = "i387SL only", [Mnemonic.Fnstdw] = "i387SL only",
        [Mnemonic.Fstsg] = "i387SL only", [Mnemonic.Fnstsg] = "i387SL only",
    };

    static bool IsX87Mnemonic(Mnemonic m)
    {
        if (m == Mnemonic.Wait) return true;
        string n = m.ToString();
        return n.Length > 1 && n[0] == 'F' && char.IsLower(n[1]) || m == Mnemonic.F2xm1;
    }

    static IReadOnlyList<Code>? _forms;

    /// <summary>Every x87 form in the corpus (legacy encoding, valid in 64-bit mode, not <see cref="Excluded"/>).</summary>
    public static IReadOnlyList<Code> Forms => _forms ??= Enumerate();

    static List<Code> Enumerate()
    {
        var list = new List<Code>();
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID) continue;
            var op = code.ToOpCode();
            if (!op.IsInstruction || op.Encoding != EncodingKind.Legacy || !op.Mode64) continue;
            var m = code.Mnemonic();
            if (!IsX87Mnemonic(m) || Excluded.ContainsKey(m)) continue;
            // DecoderOptions-gated encodings are not what a Zen 4 runs (see Excluded).
            if (op.DecoderOption != DecoderOptions.None) continue;
            // WAIT exists as one code; the 0x66/REX.W variants of FNSTENV etc. are separate codes.
            list.Add(code);
        }
        return list;
    }

    public static string FamilyOf(Code code) => code.Mnemonic().ToString().ToLowerInvariant();

    /// <summary>Number of cases per form: JITVIRT_X87_CASES or <paramref name="fallback"/>.</summary>
    public static int CasesPerForm(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_X87_CASES"), out int n) && n > 0 ? n : fallback;

    /// <summary>Generates <paramref name="perForm"/> cases for every form accepted by <paramref name="filter"/>.</summary>
    public static IEnumerable<X87Case> Generate(OracleLayout layout, int perForm, int seed, Func<Code, bool>? filter = null)
    {
        foreach (var code in Forms)
        {
            if (filter is not null && !filter(code)) continue;
            for (int k = 0; k < perForm; k++)
            {
                // A fixed mix (HashCode.Combine is randomised per process): the same seed gives the same cases.
                int caseSeed = (int)((uint)seed * 0x9E37_79B1u ^ (uint)code * 0x85EB_CA77u ^ (uint)k * 0xC2B2_AE3Du);
                yield return Create(layout, code, caseSeed);
            }
        }
    }

    /// <summary>Rebuilds one case from its form and seed.</summary>
    public static X87Case Create(OracleLayout layout, Code code, int caseSeed)
    {
        var rng = new Random(caseSeed);
        var op = code.ToOpCode();
        var m = code.Mnemonic();
        var state = new OracleState(layout);
        state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
        state.Gpr[GprIndex.Rax] = (ulong)rng.NextInt64();
        // Random status flags for FCMOVcc (and to see FCOMI's clearing of OF/SF/AF).
        state.Rflags = (ulong)rng.Next(0x1000) & (X86Flags.Arithmetic) | 2;
        rng.NextBytes(state.Scratch);

        // Control words. PC 01 is reserved (SDM vol.1 §8.1.5.2, Table 8-2): not used.
        int pc = new[] { 0, 2, 3 }[rng.Next(3)], rc = rng.Next(4);
        ushort masks = rng.Next(4) == 0 ? (ushort)rng.Next(0x40) : (ushort)0x3F;
        ushort testCw = (ushort)(masks | 0x40 | pc << 8 | rc << 10 | (rng.Next(2) << 12));
        BitConverter.TryWriteBytes(state.Scratch.AsSpan(SetupCw), (ushort)(0x37F | pc << 8 | rc << 10));
        BitConverter.TryWriteBytes(state.Scratch.AsSpan(TestCw), testCw);

        // Stack operands: ST(i) of the form, or two for the ST(0)/ST(1) instructions.
        int sti = rng.Next(8);
        int need = StackNeed(code, op, sti);
        int depth = rng.Next(10) < 8 ? rng.Next(Math.Min(need, 7), 8) : rng.Next(9);
        if (PushesResult(m) && rng.Next(3) != 0) depth = Math.Min(depth, 7);
        var domain = DomainOf(m);
        for (int k = 0; k < 8; k++)
            X87Values.WriteExtended(state.Scratch.AsSpan(Stack + 10 * k), rng, k == depth - 1 ? domain.St0 : k == depth - 2 ? domain.St1 : X87Domain.Any);

        FillMemoryOperand(state.Scratch.AsSpan(Mem), code, op, rng, depth);

        var a = new Assembler(64);
        a.fninit();
        a.fldcw(__word_ptr[rbx + SetupCw]);
        // All eight physical registers get known contents (FNSAVE shows them where a restored tag
        // marks them valid), then the ones above the wanted depth are popped again.
        for (int k = 0; k < 8; k++) a.fld(__tword_ptr[rbx + Stack + 10 * k]);
        for (int k = depth; k < 8; k++) a.fstp(st0);
        if (rng.Next(20) != 0) a.fnclex();
        a.fldcw(__word_ptr[rbx + TestCw]);
        a.AddInstruction(Build(code, op, sti));
        if (masks != 0x3F && rng.Next(3) == 0) a.wait();
        a.AddInstruction(Instruction.Create(Code.Fnsave_m108byte, new MemoryOperand(Register.RBX, Save)));
        return new X87Case(code, FamilyOf(code), Assemble(a, layout.CodeAddress64), state, caseSeed);
    }

    static bool PushesResult(Mnemonic m) => m is Mnemonic.Fld or Mnemonic.Fild or Mnemonic.Fbld or Mnemonic.Fld1 or Mnemonic.Fldz
        or Mnemonic.Fldpi or Mnemonic.Fldl2e or Mnemonic.Fldl2t or Mnemonic.Fldlg2 or Mnemonic.Fldln2
        or Mnemonic.Fxtract or Mnemonic.Fsincos or Mnemonic.Fptan or Mnemonic.Fdecstp;

    /// <summary>How many stack entries the form reads (so most cases have them), and the ST(i) index it names.</summary>
    static int StackNeed(Code code, OpCodeInfo op, int sti)
    {
        int need = 1;
        for (int k = 0; k < op.OpCount; k++)
            if (op.GetOpKind(k) == OpCodeOperandKind.sti_opcode) need = sti + 1;
        var m = code.Mnemonic();
        if (m is Mnemonic.Fcompp or Mnemonic.Fucompp or Mnemonic.Fscale or Mnemonic.Fprem or Mnemonic.Fprem1
            or Mnemonic.Fpatan or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1) need = 2;
        if (op.OpCount == 0 && m is Mnemonic.Fcom or Mnemonic.Fcomp or Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fxch) need = 2;
        return need;
    }

    /// <summary>The instruction itself. ST(i) forms get i from the case's random choice in <see cref="Create"/>.</summary>
    static Instruction Build(Code code, OpCodeInfo op, int sti)
    {
        var regs = new Register[op.OpCount];
        MemoryOperand? mem = null;
        for (int k = 0; k < op.OpCount; k++)
        {
            switch (op.GetOpKind(k))
            {
                case OpCodeOperandKind.st0: regs[k] = Register.ST0; break;
                case OpCodeOperandKind.sti_opcode: regs[k] = Register.ST0 + sti; break;
                case OpCodeOperandKind.mem: mem = new MemoryOperand(Register.RBX, Mem); break;
                default:
                    if (code == Code.Fnstsw_AX || code == Code.Fstsw_AX) { regs[k] = Register.AX; break; }
                    throw new NotSupportedException($"{code}: operand kind {op.GetOpKind(k)}");
            }
        }
        return op.OpCount switch
        {
            0 => Instruction.Create(code),
            1 when mem is not null => Instruction.Create(code, mem.Value),
            1 => Instruction.Create(code, regs[0]),
            _ => Instruction.Create(code, regs[0], regs[1]),
        };
    }

    // ------------------------------------------------------------------ memory operands

    /// <summary>Random contents of the memory operand for the form's memory size (sources) or garbage (destinations).</summary>
    static void FillMemoryOperand(Span<byte> d, Code code, OpCodeInfo op, Random rng, int depth)
    {
        bool hasMem = false;
        for (int k = 0; k < op.OpCount; k++) hasMem |= op.GetOpKind(k) == OpCodeOperandKind.mem;
        if (!hasMem) return;
        var size = Instruction.Create(code, new MemoryOperand(Register.RBX, Mem)).MemorySize;
        var m = code.Mnemonic();
        switch (size)
        {
            case MemorySize.Float32: BitConverter.TryWriteBytes(d, X87Values.RandomSingle(rng)); break;
            case MemorySize.Float64: BitConverter.TryWriteBytes(d, X87Values.RandomDouble(rng)); break;
            case MemorySize.Float80: X87Values.WriteExtended(d, rng, X87Domain.Any); break;
            case MemorySize.Int16: BitConverter.TryWriteBytes(d, (short)X87Values.RandomInteger(rng, 16)); break;
            case MemorySize.Int32: BitConverter.TryWriteBytes(d, (int)X87Values.RandomInteger(rng, 32)); break;
            case MemorySize.Int64: BitConverter.TryWriteBytes(d, X87Values.RandomInteger(rng, 64)); break;
            case MemorySize.Bcd:
                // Digits 0–9 only: an invalid BCD digit gives an undefined result (SDM vol.2 FBLD).
                for (int k = 0; k < 9; k++) d[k] = (byte)(rng.Next(10) << 4 | rng.Next(10));
                if (rng.Next(3) == 0) for (int k = rng.Next(9); k < 9; k++) d[k] = 0;
                d[9] = (byte)(rng.Next(2) << 7);
                break;
            case MemorySize.UInt16 when m == Mnemonic.Fldcw:
                BitConverter.TryWriteBytes(d, RandomControlWord(rng));
                break;
        }
        if (m is Mnemonic.Fldenv or Mnemonic.Frstor)
        {
            bool wide = size is MemorySize.FpuEnv28 or MemorySize.FpuState108;
            int step = wide ? 4 : 2, env = wide ? 28 : 14;
            BitConverter.TryWriteBytes(d, RandomControlWord(rng));
            // FSW: random flags, conditions and TOP; ES and B only with a flag unmasked (else they are
            // inconsistent, and the hardware recomputes them anyway).
            ushort sw = (ushort)(rng.Next(0x10000) & 0x7F7F);
            BitConverter.TryWriteBytes(d[step..], sw);
            // Full tag word: the loaded tags only decide empty (11) or not (SDM vol.1 §8.1.7).
            ushort tw = (ushort)rng.Next(0x10000);
            if (rng.Next(2) == 0) tw = 0xFFFF;
            BitConverter.TryWriteBytes(d[(2 * step)..], tw);
            if (m == Mnemonic.Frstor)
                for (int k = 0; k < 8; k++) X87Values.WriteExtended(d[(env + 10 * k)..], rng, X87Domain.Any);
        }
    }

    static ushort RandomControlWord(Random rng)
    {
        int pc = new[] { 0, 2, 3 }[rng.Next(3)];
        int masks = rng.Next(3) == 0 ? rng.Next(0x40) : 0x3F;
        // Bits 15:13 and 7:6 are reserved; write random values there sometimes (FLDCW ignores them).
        int reserved = rng.Next(4) == 0 ? rng.Next(0x10000) & 0xE0C0 : 0x40;
        return (ushort)(masks | reserved | pc << 8 | rng.Next(4) << 10 | rng.Next(2) << 12);
    }

    /// <summary>Operand ranges where a family does something interesting (its documented domain), mixed with anything.</summary>
    static (X87Domain St0, X87Domain St1) DomainOf(Mnemonic m) => m switch
    {
        Mnemonic.F2xm1 => (X87Domain.UnitInterval, X87Domain.Any),
        Mnemonic.Fyl2xp1 => (X87Domain.NearZero, X87Domain.Moderate),
        Mnemonic.Fyl2x => (X87Domain.Positive, X87Domain.Moderate),
        Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan => (X87Domain.Angle, X87Domain.Any),
        Mnemonic.Fpatan => (X87Domain.Moderate, X87Domain.Moderate),
        Mnemonic.Fscale => (X87Domain.Any, X87Domain.ScaleCount),
        Mnemonic.Fprem or Mnemonic.Fprem1 => (X87Domain.Any, X87Domain.Any),
        _ => (X87Domain.Any, X87Domain.Any),
    };

    static byte[] Assemble(Assembler a, ulong address)
    {
        var w = new ByteWriter();
        a.Assemble(w, address);
        return w.Bytes.ToArray();
    }

    sealed class Decoder64(byte[] code)
    {
        public int Count(Code form)
        {
            var d = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code));
            int n = 0;
            while (d.IP < (ulong)code.Length)
            {
                var i = d.Decode();
                if (i.Code == form && i.Op0Register == Register.ST0) n++;
                if (i.Code is Code.Fldcw_m2byte && i.MemoryDisplacement32 == TestCw) break;
            }
            return n;
        }
    }

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    // ------------------------------------------------------------------ comparison

    /// <summary>
    /// Differences between two outcomes of the same case, or null. Compared: fault vector and error
    /// code, GPRs, the status flags, the whole scratch block except the FNSAVE image, and of the
    /// FNSAVE image FCW, FSW and the full tag word, and the 80-bit contents of every non-empty
    /// register. Not compared: the contents of empty registers (stale, not architectural), and the
    /// FDS field of an environment stored by the instruction under test (see <see cref="MaskDataSelector"/>).
    /// </summary>
    public static string? Diff(X87Case c, OracleState expected, OracleState actual) => Diff(c, expected, actual, ulps: 0);

    /// <summary>
    /// As <see cref="Diff(X87Case, OracleState, OracleState)"/>, but register results up to
    /// <paramref name="ulps"/> units in the last place apart count as equal, and then so does C1
    /// (which reports the rounding direction of that result). With <paramref name="undefinedToo"/>
    /// the undefined results of <see cref="HasUndefinedResult"/> are compared like any other (for
    /// an emulator that runs the instruction on the host itself).
    /// </summary>
    public static string? Diff(X87Case c, OracleState expected, OracleState actual, int ulps, bool undefinedToo = false)
    {
        var sb = new StringBuilder();
        bool undefinedResult = !undefinedToo && HasUndefinedResult(c);
        if (!undefinedResult && (expected.FaultVector != actual.FaultVector || expected.ErrorCode != actual.ErrorCode))
            sb.Append($"  fault: expected {FaultVectors.Name(expected.FaultVector)}/{expected.ErrorCode:X} actual {FaultVectors.Name(actual.FaultVector)}/{actual.ErrorCode:X}\n");
        for (int r = 0; r < GprIndex.Count; r++)
            if (expected.Gpr[r] != actual.Gpr[r]) sb.Append($"  GPR{r}: expected {expected.Gpr[r]:X16} actual {actual.Gpr[r]:X16}\n");
        if (((expected.Rflags ^ actual.Rflags) & X86Flags.Arithmetic) != 0)
            sb.Append($"  RFLAGS: expected {expected.Rflags:X} actual {actual.Rflags:X}\n");
        var e = expected.Scratch; var a = actual.Scratch;
        var ignore = new bool[e.Length];
        MaskDataSelector(c, ignore);
        for (int k = Save; k < Save + SaveSize; k++) ignore[k] = true;
        for (int k = 0; k < e.Length; k++)
            if (!ignore[k] && e[k] != a[k])
            {
                sb.Append($"  scratch {k:X3}: expected {Hex(e, k & ~0xF, 16)} actual {Hex(a, k & ~0xF, 16)}\n");
                k |= 0xF;
            }
        if (undefinedResult)
        {
            // Undefined result: it may be special or not and raise unmasked exceptions (hence #MF at
            // a following FWAIT) or not, so only memory is compared.
        }
        else if (expected.FaultVector == FaultVectors.None)
        {
            ushort ef = Word(e, Save), af = Word(a, Save);
            ushort es = Word(e, Save + 4), as_ = Word(a, Save + 4);
            ushort et = Word(e, Save + 8), at = Word(a, Save + 8);
            if (ef != af) sb.Append($"  FCW: expected {ef:X4} actual {af:X4}\n");
            int top = (es >> 11) & 7;
            bool near = false, undefined = false;
            // The tag of an undefined result (valid or special) is not compared either.
            ushort twMask = undefined ? (ushort)~(3 << (2 * top)) : (ushort)0xFFFF;
            if (((et ^ at) & twMask) != 0) sb.Append($"  FTW: expected {et:X4} actual {at:X4}\n");
            for (int st = 0; st < 8; st++)
            {
                int p = (top + st) & 7;
                if (((et >> (2 * p)) & 3) == 3) continue;
                int o = Save + 28 + 10 * st;
                if (e.AsSpan(o, 10).SequenceEqual(a.AsSpan(o, 10))) continue;
                if (ulps > 0 && UlpDistance(e, a, o) <= (ulong)ulps) { near = true; continue; }
                if (st == 0 && undefined) continue;
                sb.Append($"  ST({st}): expected {Extended(e, o)} actual {Extended(a, o)}\n");
            }
            // With a tolerance C1 is not compared: it is the direction the result was rounded in,
            // and a different C1 with the same result means the two approximations lie on either side
            // of a representable value (a difference below one ulp).
            ushort swMask = near || ulps > 0 ? unchecked((ushort)~0x200) : (ushort)0xFFFF;
            if (undefined) swMask &= unchecked((ushort)~0x23F); // flags and C1 of an undefined result
            if (((es ^ as_) & swMask) != 0) sb.Append($"  FSW: expected {es:X4} actual {as_:X4} ({DescribeSw(es)} vs {DescribeSw(as_)})\n");
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <summary>
    /// F2XM1 with |ST(0)| &gt; 1 and FYL2XP1 with |ST(0)| ≥ 1 − √2/2 have undefined results (SDM
    /// vol.2 F2XM1, FYL2XP1): only memory is compared for them.
    /// </summary>
    public static bool HasUndefinedResult(X87Case c)
    {
        var m = c.Form.Mnemonic();
        if (m is not (Mnemonic.F2xm1 or Mnemonic.Fyl2xp1)) return false;
        int depth = StackDepth(c);
        if (depth == 0) return false;
        int o = Stack + 10 * (depth - 1);
        ushort se = BitConverter.ToUInt16(c.Initial.Scratch, o + 8);
        ulong sig = BitConverter.ToUInt64(c.Initial.Scratch, o);
        int exp = se & 0x7FFF;
        if (exp == 0x7FFF || exp == 0) return false;
        return m == Mnemonic.F2xm1 ? exp > 0x3FFF || (exp == 0x3FFF && sig != 1ul << 63) : exp >= 0x3FFD && (exp > 0x3FFD || sig >= 0x95F6_1998_0C69_0C00ul);
    }

    /// <summary>The stack depth a case was built with (the number of FSTP ST(0) after the eight loads tells it).</summary>
    static int StackDepth(X87Case c)
    {
        var d = new Decoder64(c.Code);
        return 8 - d.Count(Code.Fstp_sti);
    }

    /// <summary>
    /// The FDS field of an environment the instruction under test stored at <see cref="Mem"/>: it
    /// holds the DS selector of the last x87 memory operand, which is 0 in a 64-bit Linux process
    /// and 2BH in the emulator's oracle user mode (OracleUserMode), a difference of the two
    /// situations, not of the x87. FIP, FCS, FOP and FDP are compared.
    /// </summary>
    static void MaskDataSelector(X87Case c, bool[] ignore)
    {
        var m = c.Form.Mnemonic();
        if (m is not (Mnemonic.Fnstenv or Mnemonic.Fstenv or Mnemonic.Fnsave or Mnemonic.Fsave)) return;
        var size = Instruction.Create(c.Form, new MemoryOperand(Register.RBX, Mem)).MemorySize;
        bool wide = size is MemorySize.FpuEnv28 or MemorySize.FpuState108;
        int at = wide ? 24 : 12; // SDM vol.1 Figures 8-9 and 8-10: FDS at byte 24 (32-bit) or 12 (16-bit)
        ignore[Mem + at] = ignore[Mem + at + 1] = true;
    }

    /// <summary>Distance in units of the last place between two finite 80-bit values of the same sign and exponent (or adjacent binades); ulong.MaxValue otherwise.</summary>
    static ulong UlpDistance(byte[] e, byte[] a, int o)
    {
        ushort se = BitConverter.ToUInt16(e, o + 8), sa = BitConverter.ToUInt16(a, o + 8);
        if ((se ^ sa) >= 0x8000 || (se & 0x7FFF) == 0x7FFF || (sa & 0x7FFF) == 0x7FFF) return ulong.MaxValue;
        // For normals, exponent:significand-without-integer-bit is monotonic in magnitude.
        UInt128 Key(ushort x, ulong sig) => ((UInt128)(ulong)(x & 0x7FFF) << 63) | (sig & long.MaxValue);
        UInt128 ke = Key(se, BitConverter.ToUInt64(e, o)), ka = Key(sa, BitConverter.ToUInt64(a, o));
        UInt128 d = ke > ka ? ke - ka : ka - ke;
        return d > ulong.MaxValue ? ulong.MaxValue : (ulong)d;
    }

    static ushort Word(byte[] b, int o) => BitConverter.ToUInt16(b, o);
    static string Hex(byte[] b, int o, int n) => Convert.ToHexString(b, o, n);
    static string Extended(byte[] b, int o) => $"{BitConverter.ToUInt16(b, o + 8):X4}:{BitConverter.ToUInt64(b, o):X16}";

    static string DescribeSw(ushort sw)
    {
        var s = new StringBuilder();
        string[] flags = ["IE", "DE", "ZE", "OE", "UE", "PE", "SF", "ES"];
        for (int k = 0; k < 8; k++) if ((sw & (1 << k)) != 0) s.Append(flags[k]).Append(' ');
        if ((sw & 0x100) != 0) s.Append("C0 ");
        if ((sw & 0x200) != 0) s.Append("C1 ");
        if ((sw & 0x400) != 0) s.Append("C2 ");
        if ((sw & 0x4000) != 0) s.Append("C3 ");
        s.Append("TOP=").Append((sw >> 11) & 7);
        return s.ToString();
    }

    /// <summary>A one-line description of a case for failure reports.</summary>
    public static string Describe(X87Case c) =>
        $"{c.Form} seed {c.Seed}: cw {Word(c.Initial.Scratch, TestCw):X4}, mem {Hex(c.Initial.Scratch, Mem, 16)}, "
        + $"stack {string.Join(' ', Enumerable.Range(0, 8).Select(k => Extended(c.Initial.Scratch, Stack + 10 * k)))}";
}

/// <summary>Operand ranges for <see cref="X87Values.WriteExtended"/>.</summary>
public enum X87Domain { Any, UnitInterval, NearZero, Positive, Moderate, Angle, ScaleCount }

/// <summary>Random x87 operands: every class the formats have, in the proportions an oracle needs.</summary>
public static class X87Values
{
    /// <summary>
    /// A random 80-bit value: normal (various exponent ranges, short and full significands), denormal,
    /// pseudo-denormal, zero, infinity, QNaN, SNaN, the indefinite, unnormal, pseudo-NaN and
    /// pseudo-infinity (SDM vol.1 §8.2.2, Table 8-3), or a value in the family's domain.
    /// </summary>
    public static void WriteExtended(Span<byte> d, Random rng, X87Domain domain)
    {
        ulong sig = (ulong)rng.NextInt64() | 1ul << 63;
        if (rng.Next(3) == 0) sig &= ~0ul << rng.Next(1, 64); // short significands: exact results, ties
        int sign = rng.Next(2);
        int exp;
        int kind = domain != X87Domain.Any && rng.Next(8) != 0 ? -1 : rng.Next(20);
        switch (kind)
        {
            case -1:
                exp = domain switch
                {
                    X87Domain.UnitInterval => rng.Next(8) == 0 ? 0x3FFF : 0x3FFE - Skewed(rng, 70),
                    X87Domain.NearZero => 0x3FFD - Skewed(rng, 70),
                    X87Domain.Positive => rng.Next(0x3FC0, 0x4040),
                    X87Domain.Moderate => rng.Next(0x3F80, 0x4080),
                    X87Domain.Angle => rng.Next(10) == 0 ? rng.Next(0x403B, 0x4040) : rng.Next(0x3FE0, 0x4010),
                    _ => rng.Next(0x3FFF, 0x400F),
                };
                if (domain == X87Domain.Positive) sign = 0;
                if (domain == X87Domain.UnitInterval && exp == 0x3FFF) sig = 1ul << 63;
                if (domain == X87Domain.Angle && rng.Next(6) == 0) sig = NearMultipleOfPiOver4(rng, ref exp);
                break;
            case 0: exp = 0; sig = rng.Next(3) == 0 ? 0 : sig; break;                       // zero or pseudo-denormal
            case 1: exp = 0; sig &= ~(1ul << 63); if (sig == 0) sig = 1; sig >>= rng.Next(64); if (sig == 0) sig = 1; break; // denormal
            case 2: exp = 0; sig = 0; break;                                                  // zero
            case 3: exp = 0x7FFF; sig = 1ul << 63; break;                                     // infinity
            case 4: exp = 0x7FFF; sig |= 1ul << 62; break;                                    // QNaN
            case 5: exp = 0x7FFF; sig &= ~(1ul << 62); if ((sig << 2) == 0) sig |= 1; break;  // SNaN
            case 6: exp = 0x7FFF; sig = 0xC000_0000_0000_0000; sign = 1; break;               // indefinite
            case 7: exp = rng.Next(1, 0x7FFF); sig &= ~(1ul << 63); break;                    // unnormal (or pseudo-zero)
            case 8: exp = 0x7FFF; sig &= ~(1ul << 63); break;                                 // pseudo-NaN / pseudo-infinity
            case 9: exp = rng.Next(1, 64); break;                                             // tiny normal
            case 10: exp = rng.Next(0x7FC0, 0x7FFF); break;                                   // huge normal
            case 11: exp = 0x3FFF + rng.Next(-1, 2); sig = rng.Next(2) == 0 ? 1ul << 63 : ulong.MaxValue - (ulong)rng.Next(4); break; // ~1
            case 12: exp = 0x3FFF + rng.Next(0, 64); sig &= ~0ul << Math.Max(1, 63 - (exp - 0x3FFF)); break; // integers
            case 13: exp = rng.Next(0x3C00, 0x4400); break;                                   // double-ish range
            case 14: exp = rng.Next(0x3F60, 0x40A0); break;                                   // single-ish range
            default: exp = rng.Next(0x3FC0, 0x4040); break;                                   // moderate
        }
        BitConverter.TryWriteBytes(d, sig);
        BitConverter.TryWriteBytes(d[8..], (ushort)(exp | sign << 15));
    }

    /// <summary>An exponent offset biased toward small values with a long tail.</summary>
    static int Skewed(Random rng, int max) => (int)(Math.Pow(rng.NextDouble(), 3) * max);

    /// <summary>A value within a few ulps of k·π/4 (k up to 2^20): the hard cases of argument reduction.</summary>
    static ulong NearMultipleOfPiOver4(Random rng, ref int exp)
    {
        double v = Math.PI / 4 * rng.Next(1, 1 << 20);
        ulong bits = BitConverter.DoubleToUInt64Bits(v);
        exp = (int)((bits >> 52) & 0x7FF) - 1023 + 0x3FFF;
        ulong sig = (bits << 11) | 1ul << 63;
        return sig + (ulong)rng.Next(-2048, 2048);
    }

    public static float RandomSingle(Random rng) => BitConverter.UInt32BitsToSingle(rng.Next(8) switch
    {
        0 => (uint)rng.Next(0, 0x80_0000) | (uint)rng.Next(2) << 31,                     // denormal or zero
        1 => 0x7F80_0000u | (uint)rng.Next(2) << 31 | (rng.Next(2) == 0 ? 0 : (uint)rng.Next(1, 0x80_0000)), // inf, NaN
        2 => (uint)rng.Next(2) << 31,                                                      // zero
        _ => (uint)rng.Next(1, 0xFF) << 23 | (uint)rng.Next(0x80_0000) | (uint)rng.Next(2) << 31,
    });

    public static double RandomDouble(Random rng) => BitConverter.UInt64BitsToDouble(rng.Next(8) switch
    {
        0 => (ulong)rng.NextInt64(0, 1L << 52) | (ulong)rng.Next(2) << 63,
        1 => 0x7FF0_0000_0000_0000ul | (ulong)rng.Next(2) << 63 | (rng.Next(2) == 0 ? 0 : (ulong)rng.NextInt64(1, 1L << 52)),
        2 => (ulong)rng.Next(2) << 63,
        _ => (ulong)rng.Next(1, 0x7FF) << 52 | (ulong)rng.NextInt64(0, 1L << 52) | (ulong)rng.Next(2) << 63,
    });

    /// <summary>A random integer of <paramref name="bits"/> bits: small, edge (0, ±max, min) or any.</summary>
    public static long RandomInteger(Random rng, int bits)
    {
        long min = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        return rng.Next(6) switch
        {
            0 => rng.Next(-100, 100),
            1 => new[] { 0, min, max, -1, 1 }[rng.Next(5)],
            _ => bits == 64 ? rng.NextInt64() >> rng.Next(64) : rng.NextInt64(min, max + 1) >> rng.Next(bits),
        };
    }
}
