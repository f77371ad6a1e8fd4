using JitVirt.Cli.Reports;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Tests;

/// <summary>
/// The exit table against a real <c>perf kvm stat report --event=vmexit</c> output (a VMX host, published
/// with its figures): the same samples and times must print the same text, column for column.
/// </summary>
public class PerfKvmStatReportTests
{
    private const string PerfOutput = """


        Analyze events for all VMs, all VCPUs:

                     VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time 

                   MSR_WRITE       9167    35.40%     0.04%      0.45us   9554.94us      3.00us ( +-  41.94% )
          EXTERNAL_INTERRUPT       5877    22.69%     0.02%      0.37us   1175.48us      2.43us ( +-  17.90% )
            PREEMPTION_TIMER       5728    22.12%     0.01%      0.51us     21.14us      0.62us ( +-   0.87% )
                         HLT       2232     8.62%    99.92%      0.56us 1001118.99us  30567.94us ( +-   9.88% )
                       CPUID       2160     8.34%     0.00%      0.40us     12.82us      0.65us ( +-   1.29% )
           PAUSE_INSTRUCTION        390     1.51%     0.00%      0.38us   1490.19us      8.27us ( +-  62.22% )
               EPT_MISCONFIG        303     1.17%     0.01%      1.04us    167.13us     13.33us ( +-   8.61% )
                 EOI_INDUCED         37     0.14%     0.00%      0.62us      3.00us      1.24us ( +-   6.58% )
               EXCEPTION_NMI          4     0.02%     0.00%      0.42us      0.56us      0.47us ( +-   6.81% )

        Total Samples:25898, Total events handled time:68281638.61us.


        """;

    [Fact]
    public void SameFiguresPrintTheSameTextAsPerf()
    {
        // (name, VMX basic exit reason, samples, min us, max us, average us, ± %); the averages of the first two
        // sit inside their printed rounding so that HLT's share (the rest of the published total) prints as perf did.
        (string Name, int Reason, long Samples, double Min, double Max, double Avg, double Rsd)[] rows =
        [
            ("EXCEPTION_NMI", 0, 4, 0.42, 0.56, 0.47, 6.81),
            ("EXTERNAL_INTERRUPT", 1, 5877, 0.37, 1175.48, 2.426, 17.90),
            ("CPUID", 10, 2160, 0.40, 12.82, 0.65, 1.29),
            ("HLT", 12, 2232, 0.56, 1001118.99, double.NaN, 9.88),
            ("MSR_WRITE", 32, 9167, 0.45, 9554.94, 2.996, 41.94),
            ("PAUSE_INSTRUCTION", 40, 390, 0.38, 1490.19, 8.27, 62.22),
            ("EOI_INDUCED", 45, 37, 0.62, 3.00, 1.24, 6.58),
            ("EPT_MISCONFIG", 49, 303, 1.04, 167.13, 13.33, 8.61),
            ("PREEMPTION_TIMER", 52, 5728, 0.51, 21.14, 0.62, 0.87),
        ];
        const double publishedTotalUs = 68281638.61;
        double othersUs = rows.Where(r => r.Name != "HLT").Sum(r => r.Samples * r.Avg);
        var records = rows.Select(r =>
        {
            double totalNs = (r.Name == "HLT" ? publishedTotalUs - othersUs : r.Samples * r.Avg) * 1000;
            return new ExitRecord(r.Reason, r.Name, ExitCategory.Other, r.Samples, r.Samples, totalNs, r.Min * 1000, r.Max * 1000, r.Rsd);
        }).ToList();

        Assert.Equal(PerfOutput.ReplaceLineEndings("\n"), PerfKvmStatReport.Format(records));
    }

    [Fact]
    public void NothingTimedPrintsZerosNotNan()
    {
        var text = PerfKvmStatReport.Format([new ExitRecord(0x7B, "io", ExitCategory.Io, 5, 0, 0, double.MaxValue, 0, 0)]);
        Assert.Contains("                  io          5   100.00%     0.00%      0.00us      0.00us      0.00us ( +-   0.00% )\n", text);
        Assert.Contains("Total Samples:5, Total events handled time:0.00us.", text);
    }
}
