using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>--stats (perf kvm stat report layout) and --json, read back and checked against each other and against the guest.</summary>
public class StatsAndJsonTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    /// <summary>One row of perf kvm stat report: name, samples, samples%, time%, min, max, avg (us), ± relative deviation.</summary>
    private static readonly Regex TableRow = new(
        @"^ {0,20}(?<name>\S+) +(?<n>\d+) +(?<sp>\d+\.\d\d)% +(?<tp>\d+\.\d\d)% +(?<min>\d+\.\d\d)us +(?<max>\d+\.\d\d)us +(?<avg>\d+\.\d\d)us \( \+- *(?<rsd>\d+\.\d\d)% \)$");

    private sealed record Row(string Name, long Samples, double SamplesPct, double TimePct, double MinUs, double MaxUs, double AvgUs, double Rsd);

    private static (List<Row> Rows, long TotalSamples, double TotalUs) ParseTable(string stderr)
    {
        string[] lines = stderr.Split('\n');
        int header = Array.IndexOf(lines, "Analyze events for all VMs, all VCPUs:");
        Assert.True(header >= 2 && lines[header - 1] == "" && lines[header - 2] == "", "two blank lines precede the header");
        Assert.Equal("", lines[header + 1]);
        // builtin-kvm.c: "%*s " with decode_str_len 20, then %10s %9s %9s %11s %11s %16s, each followed by a space.
        Assert.Equal("             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time ", lines[header + 2]);
        Assert.Equal("", lines[header + 3]);
        var rows = new List<Row>();
        int i = header + 4;
        for (; lines[i] != ""; i++)
        {
            var m = TableRow.Match(lines[i]);
            Assert.True(m.Success, $"row '{lines[i]}'");
            Assert.Equal(20, lines[i].IndexOf(' ', lines[i].IndexOf(m.Groups["name"].Value, StringComparison.Ordinal))); // name right-aligned in 20
            double D(string g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            rows.Add(new Row(m.Groups["name"].Value, long.Parse(m.Groups["n"].Value), D("sp"), D("tp"), D("min"), D("max"), D("avg"), D("rsd")));
        }
        var total = Regex.Match(lines[i + 1], @"^Total Samples:(\d+), Total events handled time:(\d+\.\d\d)us\.$");
        Assert.True(total.Success, lines[i + 1]);
        return (rows, long.Parse(total.Groups[1].Value), double.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>A figure printed with two decimals is within half a hundredth of the exact value.</summary>
    private static void Printed(double exact, double printed) =>
        Assert.True(Math.Abs(exact - printed) <= 0.005 + 1e-9 * Math.Abs(exact), $"printed {printed} for {exact}");

    /// <summary>Parses the --stats table and checks every figure against the --json document of the same run; returns the rows.</summary>
    private static List<Row> AssertTableReadsBackAsTheJson(string stderr, JsonElement root)
    {
        var (rows, totalSamples, totalUs) = ParseTable(stderr);
        var exits = root.GetProperty("exits");
        var jsonRows = exits.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(jsonRows.Count, rows.Count);
        Assert.Equal(exits.GetProperty("totalSamples").GetInt64(), totalSamples);
        double jsonTotalNs = exits.GetProperty("totalNs").GetDouble();
        Printed(jsonTotalNs / 1000, totalUs);
        for (int k = 0; k < rows.Count; k++)
        {
            var (t, j) = (rows[k], jsonRows[k]);
            Assert.Equal(j.GetProperty("name").GetString(), t.Name);
            Assert.Equal(j.GetProperty("samples").GetInt64(), t.Samples);
            Printed(100.0 * t.Samples / totalSamples, t.SamplesPct);
            Printed(100.0 * j.GetProperty("totalNs").GetDouble() / jsonTotalNs, t.TimePct);
            Printed(j.GetProperty("minNs").GetDouble() / 1000, t.MinUs);
            Printed(j.GetProperty("maxNs").GetDouble() / 1000, t.MaxUs);
            Printed(j.GetProperty("totalNs").GetDouble() / j.GetProperty("samples").GetInt64() / 1000, t.AvgUs);
            Printed(j.GetProperty("relStdDevPercent").GetDouble(), t.Rsd);
            Assert.True(j.GetProperty("timedSamples").GetInt64() == t.Samples, "--stats turns exit timing on for every exit");
        }
        return rows;
    }

    [Fact]
    public void StatsTableHasPerfLayoutAndReadsBackAsTheJsonNumbers()
    {
        const string text = "stats guest\n";
        using var kernel = new TempFile(Guests.PrintThenExit(text, 0));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run(FakeFrontEnd.Catalog(), "run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", "svm",
            "--stats", "--json", json.Path, "--deterministic", "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal(text, r.Stdout); // reports stay off stdout

        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        var rows = AssertTableReadsBackAsTheJson(r.Stderr, doc.RootElement);
        // Sorted by samples, as perf's default sort key "sample".
        Assert.Equal(rows.Select(x => x.Samples).OrderByDescending(x => x), rows.Select(x => x.Samples));
        // The guest did one OUT per character plus one to isa-debug-exit, and nothing else the fake counts but its final HLT.
        Assert.Equal(text.Length + 1, rows.Single(x => x.Name == "io").Samples);

        // JitVirt's counters follow the table, and are the JSON's counters.
        var counters = doc.RootElement.GetProperty("counters").EnumerateArray().ToList();
        string[] lines = r.Stderr.Split('\n');
        int heading = Array.IndexOf(lines, "JitVirt counters:");
        Assert.True(heading > 0, r.ToString());
        for (int k = 0; k < counters.Count; k++)
        {
            var m = Regex.Match(lines[heading + 1 + k], @"^  (?<label>.+?) +(?<value>-?\d+)( \S+)?$");
            Assert.True(m.Success, lines[heading + 1 + k]);
            Assert.Equal(counters[k].GetProperty("label").GetString(), m.Groups["label"].Value);
            Assert.Equal(counters[k].GetProperty("value").GetInt64(), long.Parse(m.Groups["value"].Value));
        }
        var retired = counters.Single(c => c.GetProperty("key").GetString() == "guestInstructionsRetired").GetProperty("value").GetInt64();
        // mov dx; then mov al + out per character; mov al + out for the exit; the HLT after it may or may not retire.
        Assert.InRange(retired, 1 + 2 * text.Length + 2, 1 + 2 * text.Length + 3);
        Assert.Contains(counters, c => c.GetProperty("key").GetString() == "fakeResets"); // the front end's own counters are included
    }

    /// <summary>Acceptance 1 with the real front end --vm selects by default (SVM): the table and the JSON agree figure for figure.</summary>
    [Theory]
    [InlineData(null, "io")]
    [InlineData("vmx", "IO_INSTRUCTION")]
    public void RealFrontEndStatsTableReadsBackAsTheJsonNumbers(string? vm, string ioName)
    {
        const string text = "real\n";
        using var kernel = new TempFile(Guests.PrintThenExit(text, 0));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        string[] args = ["run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--stats", "--json", json.Path, "--deterministic", "--timeout", "30"];
        var r = Run(vm is null ? args : [.. args, "--vm", vm]);
        Assert.True(r.Status == 1, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        Assert.Equal(vm ?? "svm", doc.RootElement.GetProperty("configuration").GetProperty("frontEnd").GetString());
        var rows = AssertTableReadsBackAsTheJson(r.Stderr, doc.RootElement);
        // One OUT per character and one to isa-debug-exit, each an I/O exit under KVM's name for the front end.
        Assert.Equal(text.Length + 1, rows.Single(x => x.Name == ioName).Samples);
        var counters = doc.RootElement.GetProperty("counters").EnumerateArray().ToList();
        string[] lines = r.Stderr.Split('\n');
        int heading = Array.IndexOf(lines, "JitVirt counters:");
        Assert.True(heading > 0, r.ToString());
        for (int k = 0; k < counters.Count; k++)
        {
            var m = Regex.Match(lines[heading + 1 + k], @"^  (?<label>.+?) +(?<value>-?\d+)( \S+)?$");
            Assert.True(m.Success, lines[heading + 1 + k]);
            Assert.Equal(counters[k].GetProperty("label").GetString(), m.Groups["label"].Value);
            Assert.Equal(counters[k].GetProperty("value").GetInt64(), long.Parse(m.Groups["value"].Value));
        }
    }

    [Fact]
    public void JsonHasConfigurationOutcomeAndTimesAndIsWrittenAtomically()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("j\n", 0x21));
        string dir = Directory.CreateTempSubdirectory("jitvirt-cli-json-").FullName;
        try
        {
            string path = Path.Combine(dir, "run.json");
            File.WriteAllText(path, "old content that must be replaced whole");
            var r = Run(FakeFrontEnd.Catalog(), "run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", "vmx", "-m", "64M",
                "-smp", "cpus=1", "-d", "guest_errors", "-D", Path.Combine(dir, "qemu.log"), "--json", path, "--deterministic", "--timeout", "30");
            Assert.True(r.Status == (0x21 << 1 | 1), r.ToString());
            Assert.Equal(["qemu.log", "run.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order()); // no temporary file left behind
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var config = root.GetProperty("configuration");
            Assert.Equal("vmx", config.GetProperty("vm").GetString());
            Assert.Equal("vmx", config.GetProperty("frontEnd").GetString());
            Assert.Equal(64L << 20, config.GetProperty("memoryBytes").GetInt64());
            Assert.Equal(kernel.Path, config.GetProperty("kernel").GetString());
            Assert.True(config.GetProperty("deterministic").GetBoolean());
            Assert.Equal(1, config.GetProperty("vcpus").GetInt32());
            Assert.Equal("guest_errors", config.GetProperty("logItems").GetString());
            var outcome = root.GetProperty("outcome");
            Assert.Equal("DebugExit", outcome.GetProperty("kind").GetString());
            Assert.Equal(0x21, outcome.GetProperty("guestExitCode").GetInt32());
            Assert.Equal(0x21 << 1 | 1, outcome.GetProperty("exitStatus").GetInt32());
            Assert.False(outcome.GetProperty("markerSeen").GetBoolean());
            Assert.False(outcome.GetProperty("shutdown").GetBoolean());
            Assert.False(outcome.GetProperty("timeout").GetBoolean());
            Assert.True(root.GetProperty("time").GetProperty("wallSeconds").GetDouble() > 0);
            Assert.True(root.GetProperty("time").GetProperty("cpuSeconds").GetDouble() >= 0);
            var names = root.GetProperty("exits").GetProperty("rows").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
            Assert.Contains("IO_INSTRUCTION", names); // VMX's names under --vm vmx
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void JsonRecordsATimeoutAndAMarker()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("up\n"));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var timedOut = Run("run", "-kernel", kernel.Path, "--json", json.Path, "--timeout", "0.3");
        Assert.Equal(CliExitCodes.Timeout, timedOut.Status);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json.Path)))
        {
            Assert.True(doc.RootElement.GetProperty("outcome").GetProperty("timeout").GetBoolean());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("outcome").GetProperty("guestExitCode").ValueKind);
        }
        var marker = Run("run", "-kernel", kernel.Path, "--json", json.Path, "--until", "up", "--timeout", "30");
        Assert.Equal(CliExitCodes.Success, marker.Status);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json.Path)))
        {
            var outcome = doc.RootElement.GetProperty("outcome");
            Assert.Equal("Marker", outcome.GetProperty("kind").GetString());
            Assert.True(outcome.GetProperty("markerSeen").GetBoolean());
            Assert.Equal("up", doc.RootElement.GetProperty("configuration").GetProperty("until").GetString());
        }
    }

    [Fact]
    public void WithoutStatsOrJsonExitsAreCountedButNotTimed()
    {
        // The trace shows exits happen; the JSON-free run must not have turned timing on. Observe it through the fake.
        FakeFrontEnd? created = null;
        var catalog = new FrontEndCatalog().With("svm", (cpu, executor) => created = new FakeFrontEnd(cpu, executor, FakeFrontEnd.Svm));
        using var kernel = new TempFile(Guests.PrintThenExit("t\n", 0));
        var r = Run(catalog, "run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", "svm", "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.NotNull(created);
        Assert.False(created!.Exits.Timing);
        var io = created.Exits.Snapshot().Single(e => e.Name == "io");
        Assert.Equal(3, io.Count);
        Assert.Equal(0, io.TimedCount);
    }
}
