using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Running;

// Every JitVirt benchmark. Run a subset with --filter, e.g.
//   dotnet run -c Release --project bench/JitVirt.Bench -- --filter '*Interpreter*'
// Results go to BenchmarkDotNet.Artifacts/results/ as full JSON (*-report-full.json, what
// 'jitvirt bench compare' and other comparison tools read) and GitHub markdown (*-report-github.md,
// already one of DefaultConfig's exporters, with CSV and HTML).
var config = DefaultConfig.Instance.AddExporter(JsonExporter.Full);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
