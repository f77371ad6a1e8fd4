using JitVirt.NativeOracle;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.NativeOracle.Tests;

/// <summary>The comparer: masks exactly the undefined flags and results, and reports everything else.</summary>
public sealed class OracleComparerTests(NativeExecutorFixture fixture) : IClassFixture<NativeExecutorFixture>
{
    private readonly OracleComparer _comparer = new();

    private OracleCase Case(Action<Iced.Intel.Assembler> emit, Action<OracleState> setup)
    {
        var initial = fixture.NewState();
        setup(initial);
        var code = Assembling.Code(ExecutionMode.Long64, fixture.Layout, emit);
        return new OracleCase(ExecutionMode.Long64, "hand-made", code, initial, fixture.Layout);
    }

    private OracleState RunNative(OracleCase c)
    {
        var state = c.Initial.Clone();
        fixture.Executor.Execute(c.Mode, c.Code, state);
        return state;
    }

    [Fact]
    public void Identical_results_match()
    {
        var c = Case(a => a.add(rax, rbx), s => { s.Gpr[0] = 5; s.Gpr[3] = 7; });
        var expected = RunNative(c);
        Assert.Null(_comparer.Compare(c, expected, expected.Clone()));
    }

    [Fact]
    public void Wrong_register_or_defined_flag_is_reported_with_seed_and_states()
    {
        var c = Case(a => a.add(rax, rbx), s => { s.Gpr[0] = 5; s.Gpr[3] = 7; });
        var expected = RunNative(c);
        var wrong = expected.Clone();
        wrong.Gpr[GprIndex.Rax]++;
        wrong.Rflags ^= X86Flags.AF; // AF is defined for ADD
        var mismatch = _comparer.Compare(c, expected, wrong);
        Assert.NotNull(mismatch);
        Assert.Equal(2, mismatch.Differences.Count);
        Assert.Contains("add rax,rbx", mismatch.Report);
        Assert.Contains("case seed", mismatch.Report);
        Assert.Contains("Expected (reference)", mismatch.Report);
    }

    [Fact]
    public void Undefined_flags_are_ignored_but_DF_is_not()
    {
        // SHL by 3: OF and AF undefined (SDM vol. 2B SAL/SAR/SHL/SHR).
        var c = Case(a => a.shl(eax, 3), s => s.Gpr[0] = 0x7000_0001);
        var expected = RunNative(c);
        var other = expected.Clone();
        other.Rflags ^= X86Flags.OF | X86Flags.AF;
        Assert.Null(_comparer.Compare(c, expected, other));
        other.Rflags ^= X86Flags.CF;
        Assert.NotNull(_comparer.Compare(c, expected, other));
        var direction = expected.Clone();
        direction.Rflags ^= X86Flags.DF;
        Assert.NotNull(_comparer.Compare(c, expected, direction));
    }

    [Fact]
    public void Shift_count_comes_from_CL_in_the_initial_state()
    {
        // SHL r32, CL with CL = 33: masked count 1, so OF is defined.
        var c = Case(a => a.shl(edx, cl), s => { s.Gpr[GprIndex.Rdx] = 0x4000_0000; s.Gpr[GprIndex.Rcx] = 33; });
        var expected = RunNative(c);
        var other = expected.Clone();
        other.Rflags ^= X86Flags.OF;
        Assert.NotNull(_comparer.Compare(c, expected, other));
        other.Rflags ^= X86Flags.OF | X86Flags.AF; // AF undefined for a non-zero count
        Assert.Null(_comparer.Compare(c, expected, other));
    }

    [Fact]
    public void Bsf_with_zero_source_ignores_the_destination()
    {
        var c = Case(a => a.bsf(rax, rbx), s => { s.Gpr[0] = 0xDEAD; s.Gpr[3] = 0; });
        var expected = RunNative(c);
        Assert.Equal(X86Flags.ZF, expected.Rflags & X86Flags.ZF);
        var other = expected.Clone();
        other.Gpr[0] = 12345;
        Assert.Null(_comparer.Compare(c, expected, other));
        other.Rflags ^= X86Flags.ZF;
        Assert.NotNull(_comparer.Compare(c, expected, other));
    }

    [Fact]
    public void Shld_count_above_size_ignores_destination_and_flags()
    {
        var c = Case(a => a.shld(ax, bx, cl), s => { s.Gpr[0] = 0x1234; s.Gpr[3] = 0xABCD; s.Gpr[1] = 20; });
        var expected = RunNative(c);
        var other = expected.Clone();
        other.Gpr[0] ^= 0xFFFF;
        other.Rflags ^= X86Flags.Arithmetic;
        Assert.Null(_comparer.Compare(c, expected, other));
        other.Gpr[GprIndex.Rbx] ^= 1; // the source is still defined
        Assert.NotNull(_comparer.Compare(c, expected, other));
    }

    [Fact]
    public void Memory_and_fault_differences_are_reported()
    {
        var c = Case(a => a.div(rbx), s => { s.Gpr[0] = 10; s.Gpr[3] = 0; });
        var expected = RunNative(c);
        Assert.Equal(FaultVectors.DivideError, expected.FaultVector);
        var other = expected.Clone();
        other.ClearOutcome();
        other.Scratch[100] ^= 1;
        var mismatch = _comparer.Compare(c, expected, other);
        Assert.NotNull(mismatch);
        Assert.Contains(mismatch.Differences, d => d.StartsWith("fault:", StringComparison.Ordinal));
        Assert.Contains(mismatch.Differences, d => d.StartsWith("scratch+0x064", StringComparison.Ordinal));
    }

    [Fact]
    public void Native_against_itself_over_the_whole_catalogue_has_no_mismatches()
    {
        var runner = new OracleRunner(fixture.Executor, fixture.Executor);
        var result = runner.Run(new FormCatalog(fixture.Layout), ExecutionMode.Long64, statesPerForm: 10, seed: 1);
        Assert.True(result.Cases >= 4000, $"{result.Cases} cases");
        Assert.True(result.MismatchCount == 0, result.Mismatches.Count > 0 ? result.Mismatches[0].Report : "");
    }

    [Fact]
    public void A_candidate_that_gets_one_form_wrong_is_caught()
    {
        var broken = new CarryFlippingExecutor(fixture.Executor);
        var runner = new OracleRunner(fixture.Executor, broken);
        var result = runner.Run(new FormCatalog(fixture.Layout), ExecutionMode.Long64, statesPerForm: 5, seed: 2);
        Assert.True(result.MismatchCount > 0);
        Assert.Contains("rflags", result.Mismatches[0].Report);
    }

    /// <summary>Runs natively, then flips CF after every ADC — a stand-in for an emulator bug.</summary>
    private sealed class CarryFlippingExecutor(NativeExecutor inner) : IInstructionExecutor
    {
        public OracleLayout Layout => inner.Layout;

        public void Execute(ExecutionMode mode, byte[] code, OracleState state)
        {
            inner.Execute(mode, code, state);
            var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code));
            if (decoder.Decode().Mnemonic == Iced.Intel.Mnemonic.Adc && !state.Faulted) state.Rflags ^= X86Flags.CF;
        }
    }
}
