using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// The instruction forms the CPU core is checked on, and a reproducible generator of cases for them.
/// Forms are chosen from Iced's opcode tables by mnemonic: legacy-encoded, valid in the mode, with
/// operands the generator can place (GPRs other than RSP, memory in the scratch block, immediates).
/// Left out on purpose: POPCNT/LZCNT/TZCNT/BMI/SSE (not advertised by the guest CPU), INT/SYSCALL/
/// SYSENTER, privileged and I/O instructions, POPF (could set TF/AC), undocumented aliases (SAL /6,
/// TEST F6/F7 /1, the 486 CMPXCHG opcode), and anything using RSP other than through the mapped stack.
/// </summary>
public sealed class FormCatalog
{
    private static readonly HashSet<Mnemonic> GenericMnemonics =
    [
        Mnemonic.Add, Mnemonic.Adc, Mnemonic.Sub, Mnemonic.Sbb, Mnemonic.And, Mnemonic.Or, Mnemonic.Xor,
        Mnemonic.Cmp, Mnemonic.Test, Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Neg, Mnemonic.Not,
        Mnemonic.Shl, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr,
        Mnemonic.Shld, Mnemonic.Shrd,
        Mnemonic.Mul, Mnemonic.Imul, Mnemonic.Div, Mnemonic.Idiv,
        Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc, Mnemonic.Bsf, Mnemonic.Bsr, Mnemonic.Bswap,
        Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne,
        Mnemonic.Setbe, Mnemonic.Seta, Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp,
        Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
        Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne,
        Mnemonic.Cmovbe, Mnemonic.Cmova, Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp,
        Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg,
        Mnemonic.Daa, Mnemonic.Das, Mnemonic.Aaa, Mnemonic.Aas, Mnemonic.Aam, Mnemonic.Aad,
        Mnemonic.Cbw, Mnemonic.Cwde, Mnemonic.Cdqe, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Cqo,
        Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd,
        Mnemonic.Cmpxchg, Mnemonic.Cmpxchg8b, Mnemonic.Cmpxchg16b, Mnemonic.Xadd, Mnemonic.Xchg, Mnemonic.Lea,
        Mnemonic.Clc, Mnemonic.Stc, Mnemonic.Cmc, Mnemonic.Lahf, Mnemonic.Sahf,
        Mnemonic.Mov, Mnemonic.Push, Mnemonic.Pop, Mnemonic.Pusha, Mnemonic.Pushad, Mnemonic.Popa, Mnemonic.Popad,
    ];

    /// <summary>Iced code-name fragments to skip: undocumented aliases (TEST F6/F7 /1), the obsolete 486
    /// CMPXCHG opcode, and MOVSXD without REX.W, which the SDM discourages ("MOVSXD r16/r32") and whose
    /// memory access width differs between vendors (AMD reads 4 bytes for the 16-bit form).</summary>
    private static readonly string[] ExcludedCodeFragments = ["F6r1", "F7r1", "486", "Movsxd_r16", "Movsxd_r32"];

    private static readonly Lazy<InstructionForm[]> Long64Forms = new(() => BuildForms(ExecutionMode.Long64));
    private static readonly Lazy<InstructionForm[]> Compat32Forms = new(() => BuildForms(ExecutionMode.Compat32));

    public FormCatalog(OracleLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
    }

    /// <summary>The addresses generated cases refer to.</summary>
    public OracleLayout Layout { get; }

    /// <summary>All forms of <paramref name="mode"/>, in a stable order with unique names.</summary>
    public static IReadOnlyList<InstructionForm> Forms(ExecutionMode mode) =>
        mode == ExecutionMode.Long64 ? Long64Forms.Value : Compat32Forms.Value;

    /// <summary>The form called <paramref name="name"/> in <paramref name="mode"/>.</summary>
    public static InstructionForm Form(ExecutionMode mode, string name)
    {
        foreach (var form in Forms(mode))
            if (form.Name == name) return form;
        throw new ArgumentException($"No form '{name}' in {mode}.", nameof(name));
    }

    /// <summary>
    /// <paramref name="statesPerForm"/> cases for every form of <paramref name="mode"/>, form by form.
    /// The same seed gives the same cases (every case also carries its own
    /// <see cref="OracleCase.CaseSeed"/> for <see cref="CreateCase"/>). Every yielded case is a fresh
    /// object the caller may keep.
    /// </summary>
    public IEnumerable<OracleCase> Generate(ExecutionMode mode, int statesPerForm, int seed) =>
        Generate(mode, statesPerForm, seed, reuseState: false);

    /// <summary>As <see cref="Generate(ExecutionMode, int, int)"/>; with <paramref name="reuseState"/> every
    /// yielded case shares one <see cref="OracleCase.Initial"/> instance, overwritten by the next case —
    /// for loops that copy the state out before moving on (see <see cref="OracleRunner"/>).</summary>
    internal IEnumerable<OracleCase> Generate(ExecutionMode mode, int statesPerForm, int seed, bool reuseState)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(statesPerForm);
        var generator = new CaseGenerator(Layout, mode);
        var forms = Forms(mode);
        var shared = reuseState ? new OracleState(Layout) : null;
        for (int f = 0; f < forms.Count; f++)
        {
            ulong formSeed = SplitMix64.Mix((ulong)(uint)seed, SplitMix64.Hash(forms[f].Name));
            for (int i = 0; i < statesPerForm; i++)
            {
                ulong caseSeed = SplitMix64.Mix(formSeed, (ulong)i);
                var state = shared ?? new OracleState(Layout);
                var (code, instruction) = generator.Fill(forms[f], caseSeed, state);
                yield return new OracleCase(mode, forms[f].Name, code, state, Layout, instruction, seed, caseSeed);
            }
        }
    }

    /// <summary>Rebuilds one case from its form name and <see cref="OracleCase.CaseSeed"/> (as printed
    /// in a mismatch report).</summary>
    public OracleCase CreateCase(ExecutionMode mode, string formName, ulong caseSeed, int seed = 0)
    {
        var form = Form(mode, formName);
        var state = new OracleState(Layout);
        var (code, instruction) = new CaseGenerator(Layout, mode).Fill(form, caseSeed, state);
        return new OracleCase(mode, form.Name, code, state, Layout, instruction, seed, caseSeed);
    }

    private static InstructionForm[] BuildForms(ExecutionMode mode)
    {
        var forms = new List<InstructionForm>();
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (!IsGenericCandidate(code, mode)) continue;
            var info = code.ToOpCode();
            bool hasRm = false, memoryOnly = false;
            for (int i = 0; i < info.OpCount; i++)
            {
                var kind = info.GetOpKind(i);
                if (OperandKinds.IsRegisterOrMemory(kind)) hasRm = true;
                if (kind == OpCodeOperandKind.mem) memoryOnly = true;
            }
            string name = code.ToString();
            if (memoryOnly) forms.Add(new InstructionForm(name, mode, code, usesMemory: true));
            else if (hasRm)
            {
                forms.Add(new InstructionForm(name + "/reg", mode, code, usesMemory: false));
                forms.Add(new InstructionForm(name + "/mem", mode, code, usesMemory: true));
            }
            else forms.Add(new InstructionForm(name, mode, code, usesMemory: false));
        }
        AddStringForms(mode, forms);
        return [.. forms];
    }

    private static bool IsGenericCandidate(Code code, ExecutionMode mode)
    {
        if (code == Code.INVALID || !GenericMnemonics.Contains(code.Mnemonic())) return false;
        var info = code.ToOpCode();
        if (!info.IsInstruction || info.Encoding != EncodingKind.Legacy) return false;
        if (mode == ExecutionMode.Long64 ? !info.Mode64 : !info.Mode32) return false;
        string name = code.ToString();
        foreach (string fragment in ExcludedCodeFragments)
            if (name.Contains(fragment, StringComparison.Ordinal)) return false;
        for (int i = 0; i < info.OpCount; i++)
            if (!OperandKinds.IsSupported(info.GetOpKind(i), mode)) return false;
        return true;
    }

    private static void AddStringForms(ExecutionMode mode, List<InstructionForm> forms)
    {
        int[] addressSizes = mode == ExecutionMode.Long64 ? [64, 32] : [32];
        foreach (var (code, isCompare) in StringCodes(mode))
        {
            RepPrefixKind[] prefixes = isCompare
                ? [RepPrefixKind.None, RepPrefixKind.Repe, RepPrefixKind.Repne]
                : [RepPrefixKind.None, RepPrefixKind.Repe];
            foreach (var prefix in prefixes)
                foreach (int addressSize in addressSizes)
                {
                    string prefixName = prefix switch { RepPrefixKind.Repe => isCompare ? "repe" : "rep", RepPrefixKind.Repne => "repne", _ => "norep" };
                    forms.Add(new InstructionForm($"{code}/{prefixName}/a{addressSize}", mode, code, usesMemory: true, prefix, addressSize));
                }
        }
    }

    private static IEnumerable<(Code Code, bool IsCompare)> StringCodes(ExecutionMode mode)
    {
        yield return (Code.Movsb_m8_m8, false); yield return (Code.Movsw_m16_m16, false); yield return (Code.Movsd_m32_m32, false);
        yield return (Code.Lodsb_AL_m8, false); yield return (Code.Lodsw_AX_m16, false); yield return (Code.Lodsd_EAX_m32, false);
        yield return (Code.Stosb_m8_AL, false); yield return (Code.Stosw_m16_AX, false); yield return (Code.Stosd_m32_EAX, false);
        yield return (Code.Cmpsb_m8_m8, true); yield return (Code.Cmpsw_m16_m16, true); yield return (Code.Cmpsd_m32_m32, true);
        yield return (Code.Scasb_AL_m8, true); yield return (Code.Scasw_AX_m16, true); yield return (Code.Scasd_EAX_m32, true);
        if (mode != ExecutionMode.Long64) yield break;
        yield return (Code.Movsq_m64_m64, false); yield return (Code.Lodsq_RAX_m64, false); yield return (Code.Stosq_m64_RAX, false);
        yield return (Code.Cmpsq_m64_m64, true); yield return (Code.Scasq_RAX_m64, true);
    }
}
