using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Running;

// Every JitVirt benchmark. Run a subset with --filter, e.g.
//   dotnet run -c Release --project bench/JitVirt.Bench -- --filter '*Interpreter*'
// Results go to BenchmarkDotNet.Artifacts/ as full JSON (what comparison tools read) and GitHub markdown.
var config = DefaultConfig.Instance
    .AddExporter(JsonExporter.Full)
    .AddExporter(MarkdownExporter.GitHub);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
