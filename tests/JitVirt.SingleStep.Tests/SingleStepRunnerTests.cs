using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

public class SingleStepRunnerTests
{
    private static OracleCpu OracleFor(IEnumerable<string> forms, Action<SingleStepTest, RegisterSet>? tamper = null)
    {
        var oracle = new OracleCpu { Tamper = tamper };
        foreach (var form in forms)
            foreach (var test in MooReader.ReadAll(TestData.File(form)))
                oracle.Register(test);
        return oracle;
    }

    private static FormReport RunForm(string form, Action<SingleStepTest, RegisterSet>? tamper = null) =>
        new SingleStepRunner(OracleFor([form], tamper)).RunFile(TestData.File(form), TestData.Metadata);

    [Fact]
    public void PerfectCpuPassesTheWholeDirectory()
    {
        var forms = SingleStepDataDirectory.TestFiles(TestData.Root).Select(f => InstructionForm.Parse(f).Key);
        var report = new SingleStepRunner(OracleFor(forms)).RunDirectory();
        Assert.Equal(32_500, report.Total);
        Assert.Equal(32_500, report.Passed);
        Assert.Equal(325, report.Forms.Count);
    }

    [Fact]
    public void UndefinedFlagDifferenceIsMasked()
    {
        // DAA leaves OF (bit 11) undefined: README mask F7FF.
        var report = RunForm("27", static (_, r) => r[RegisterId.Flags] ^= 0x0800);
        Assert.Equal(100, report.Passed);
    }

    [Fact]
    public void DefinedFlagDifferenceFailsAndIsReported()
    {
        // DAA defines CF (bit 0).
        var report = RunForm("27", static (_, r) => r[RegisterId.Flags] ^= 0x0001);
        Assert.Equal(0, report.Passed);
        Assert.Equal(100, report.UnexpectedFailures);
        Assert.Equal(3, report.FirstFailures.Count);
        var text = report.FirstFailures[0].Describe();
        Assert.Contains("*flags", text);
        Assert.Contains("daa", text);
        Assert.DoesNotContain("*ax", text);
    }

    [Fact]
    public void HungAndHostErrorAreFailures()
    {
        var hung = new SingleStepRunner(new FixedResultCpu(RealModeResult.Hung("no HLT")))
            .RunFile(TestData.File("90"), TestData.Metadata);
        Assert.Equal(100, hung.Failed);
        Assert.Equal(RealModeStatus.Hung, hung.FirstFailures[0].Comparison.Status);

        var thrown = new SingleStepRunner(new ThrowingCpu()).RunFile(TestData.File("90"), TestData.Metadata);
        Assert.Equal(100, thrown.Failed);
        Assert.Contains("boom", thrown.FirstFailures[0].Comparison.Message);
    }

    [Fact]
    public void WrongMemoryWriteFails()
    {
        var oracle = OracleFor(["00"]);
        var cpu = new MemoryCorruptingCpu(oracle);
        var report = new SingleStepRunner(cpu).RunFile(TestData.File("00"), TestData.Metadata);
        Assert.Equal(100, report.Failed);
        Assert.Contains("*mem", report.FirstFailures[0].Describe());
    }

    [Fact]
    public void PopfKeepingIoplIsADocumentedDifference()
    {
        // A 386+ in real mode loads IOPL/NT on POPF; force bits 12-13 on as such a core might.
        var report = RunForm("9D", static (_, r) => r[RegisterId.Flags] |= 0x3000);
        Assert.Equal(100, report.Failed);
        Assert.Equal(100, report.DocumentedFailures);
        Assert.Same(KnownDifferences.Flags12To15InRealMode, report.FirstFailures[0].KnownDifference);
    }

    [Fact]
    public void PopfWithAnotherFlagWrongIsUnexpected()
    {
        var report = RunForm("9D", static (_, r) => r[RegisterId.Flags] ^= 0x3001);
        Assert.Equal(100, report.UnexpectedFailures);
    }

    private sealed class FixedResultCpu(RealModeResult result) : IRealModeCpu
    {
        public RealModeResult Run(RealModeSetup setup) => result;
    }

    private sealed class ThrowingCpu : IRealModeCpu
    {
        public RealModeResult Run(RealModeSetup setup) => throw new InvalidOperationException("boom");
    }

    private sealed class MemoryCorruptingCpu(IRealModeCpu inner) : IRealModeCpu
    {
        public RealModeResult Run(RealModeSetup setup)
        {
            var result = inner.Run(setup);
            return RealModeResult.Ok(result.Registers!, new XorMemory(result.Memory!));
        }

        private sealed class XorMemory(IMemoryReadback inner) : IMemoryReadback
        {
            public byte ReadByte(uint linearAddress) => (byte)(inner.ReadByte(linearAddress) ^ 0x01);
        }
    }
}
