using Iced.Intel;
using JitVirt.NativeOracle;

namespace JitVirt.NativeOracle.Tests;

/// <summary>The catalogue's coverage and the generator's reproducibility and bounds.</summary>
public sealed class FormCatalogTests(NativeExecutorFixture fixture) : IClassFixture<NativeExecutorFixture>
{
    [Fact]
    public void Long64_has_at_least_400_distinct_forms()
    {
        var forms = FormCatalog.Forms(ExecutionMode.Long64);
        var names = new HashSet<string>();
        foreach (var form in forms) Assert.True(names.Add(form.Name), $"duplicate {form.Name}");
        Assert.True(names.Count >= 400, $"only {names.Count} forms");
    }

    [Fact]
    public void Compat32_covers_its_own_forms()
    {
        var names = new HashSet<string>();
        foreach (var form in FormCatalog.Forms(ExecutionMode.Compat32)) names.Add(form.Name);
        Assert.True(names.Count >= 300, $"only {names.Count} forms");
        foreach (string own in new[] { "Daa", "Das", "Aaa", "Aas", "Aam_imm8", "Aad_imm8", "Pushad", "Popad", "Inc_r32", "Dec_r16" })
            Assert.Contains(own, names);
        Assert.DoesNotContain("Cqo", names);
        Assert.DoesNotContain("Daa", FormNames(ExecutionMode.Long64));
    }

    [Theory]
    [InlineData(ExecutionMode.Long64)]
    [InlineData(ExecutionMode.Compat32)]
    public void Every_required_mnemonic_is_covered(ExecutionMode mode)
    {
        var covered = new HashSet<Mnemonic>();
        foreach (var form in FormCatalog.Forms(mode)) covered.Add(form.Mnemonic);
        Mnemonic[] required =
        [
            Mnemonic.Add, Mnemonic.Adc, Mnemonic.Sub, Mnemonic.Sbb, Mnemonic.And, Mnemonic.Or, Mnemonic.Xor, Mnemonic.Cmp,
            Mnemonic.Test, Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Neg, Mnemonic.Not, Mnemonic.Shl, Mnemonic.Shr, Mnemonic.Sar,
            Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr, Mnemonic.Shld, Mnemonic.Shrd, Mnemonic.Mul, Mnemonic.Imul,
            Mnemonic.Div, Mnemonic.Idiv, Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc, Mnemonic.Bsf, Mnemonic.Bsr,
            Mnemonic.Bswap, Mnemonic.Sete, Mnemonic.Cmovg, Mnemonic.Movsb, Mnemonic.Cmpsd, Mnemonic.Scasw, Mnemonic.Lodsb,
            Mnemonic.Stosd, Mnemonic.Cbw, Mnemonic.Cwde, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Movzx, Mnemonic.Movsx,
            Mnemonic.Cmpxchg, Mnemonic.Cmpxchg8b, Mnemonic.Xadd, Mnemonic.Xchg, Mnemonic.Lea, Mnemonic.Clc, Mnemonic.Stc,
            Mnemonic.Cmc, Mnemonic.Lahf, Mnemonic.Sahf,
        ];
        foreach (var m in required) Assert.Contains(m, covered);
        if (mode == ExecutionMode.Long64)
            foreach (var m in new[] { Mnemonic.Cdqe, Mnemonic.Cqo, Mnemonic.Movsxd, Mnemonic.Cmpxchg16b, Mnemonic.Movsq })
                Assert.Contains(m, covered);
        else
            foreach (var m in new[] { Mnemonic.Daa, Mnemonic.Das, Mnemonic.Aaa, Mnemonic.Aas, Mnemonic.Aam, Mnemonic.Aad })
                Assert.Contains(m, covered);
        foreach (var m in new[] { Mnemonic.Popcnt, Mnemonic.Lzcnt, Mnemonic.Tzcnt, Mnemonic.Int, Mnemonic.Syscall, Mnemonic.Popf, Mnemonic.Sal })
            Assert.DoesNotContain(m, covered);
    }

    [Fact]
    public void Same_seed_gives_same_cases_and_case_seed_rebuilds_a_case()
    {
        var catalog = new FormCatalog(fixture.Layout);
        var first = catalog.Generate(ExecutionMode.Long64, 2, 42).ToList();
        var second = catalog.Generate(ExecutionMode.Long64, 2, 42).ToList();
        var other = catalog.Generate(ExecutionMode.Long64, 2, 43).ToList();
        Assert.Equal(first.Count, second.Count);
        int differentFromOtherSeed = 0;
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Code, second[i].Code);
            Assert.Equal(first[i].Initial.Gpr, second[i].Initial.Gpr);
            Assert.Equal(first[i].Initial.Rflags, second[i].Initial.Rflags);
            Assert.True(first[i].Initial.Scratch.AsSpan().SequenceEqual(second[i].Initial.Scratch));
            if (!first[i].Initial.Gpr.AsSpan().SequenceEqual(other[i].Initial.Gpr)) differentFromOtherSeed++;
        }
        Assert.True(differentFromOtherSeed > first.Count / 2);

        var sample = first[137];
        var rebuilt = catalog.CreateCase(sample.Mode, sample.FormName, sample.CaseSeed);
        Assert.Equal(sample.Code, rebuilt.Code);
        Assert.Equal(sample.Initial.Gpr, rebuilt.Initial.Gpr);
    }

    [Theory]
    [InlineData(ExecutionMode.Long64)]
    [InlineData(ExecutionMode.Compat32)]
    public void Generated_cases_keep_safe_flags_and_stack(ExecutionMode mode)
    {
        var catalog = new FormCatalog(fixture.Layout);
        foreach (var c in catalog.Generate(mode, 4, 3))
        {
            Assert.Equal(0UL, c.Initial.Rflags & (X86Flags.TF | X86Flags.AC));
            Assert.Equal(fixture.Layout.InitialStackPointer, c.Initial.Gpr[GprIndex.Rsp]);
            Assert.InRange(c.Code.Length, 1, 15);
            Assert.NotEqual(Code.INVALID, c.Instruction.Code);
        }
    }

    [Theory]
    [InlineData(ExecutionMode.Long64)]
    [InlineData(ExecutionMode.Compat32)]
    public void Memory_operands_land_inside_scratch(ExecutionMode mode)
    {
        var catalog = new FormCatalog(fixture.Layout);
        var layout = fixture.Layout;
        int checkedOperands = 0;
        foreach (var c in catalog.Generate(mode, 8, 11))
        {
            var ins = c.Instruction;
            bool explicitMemory = false;
            for (int i = 0; i < ins.OpCount; i++) explicitMemory |= ins.GetOpKind(i) == OpKind.Memory;
            if (!explicitMemory || ins.Mnemonic == Mnemonic.Lea) continue;
            ulong address = CaseFacts.EffectiveAddress(ins, c.Initial, mode);
            Assert.True(layout.IsInScratch(address, ins.MemorySize.GetSize()), $"{c}: 0x{address:X}");
            checkedOperands++;
        }
        Assert.True(checkedOperands > 1000);
    }

    [Fact]
    public void Generated_cases_run_natively_without_page_faults_and_mostly_without_any_fault()
    {
        // Everything a generated case touches is mapped, so #PF would mean the generator broke its promise.
        var catalog = new FormCatalog(fixture.Layout);
        var state = fixture.NewState();
        foreach (var mode in new[] { ExecutionMode.Long64, ExecutionMode.Compat32 })
        {
            if (mode == ExecutionMode.Compat32 && !fixture.Executor.SupportsCompat32) continue; // see NativeExecutor.SupportsCompat32
            int total = 0, faulted = 0;
            foreach (var c in catalog.Generate(mode, 20, 5))
            {
                state.CopyFrom(c.Initial);
                fixture.Executor.Execute(mode, c.Code, state);
                total++;
                if (!state.Faulted) continue;
                faulted++;
                Assert.True(state.FaultVector == FaultVectors.DivideError, $"{c} raised {FaultVectors.Name(state.FaultVector)}");
            }
            Assert.True(faulted < total / 50, $"{mode}: {faulted} of {total} faulted");
        }
    }

    private static HashSet<string> FormNames(ExecutionMode mode)
    {
        var names = new HashSet<string>();
        foreach (var form in FormCatalog.Forms(mode)) names.Add(form.Name);
        return names;
    }
}
