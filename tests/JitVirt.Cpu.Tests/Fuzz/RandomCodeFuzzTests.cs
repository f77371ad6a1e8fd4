using System.Diagnostics;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Fuzz;

/// <summary>
/// Never crash the host: random byte streams run as guest code in every mode. Each fault is a
/// guest-visible exception (a vector 0-31); any .NET exception escaping the interpreter fails the
/// test with the mode, seed and bytes. Instructions JitVirt does not implement raise #UD and are
/// counted by mnemonic, printed at the end. Runs 30 s in total by default;
/// JITVIRT_FUZZ_SECONDS changes it, JITVIRT_FUZZ_SEED fixes the seed.
/// </summary>
public class RandomCodeFuzzTests(ITestOutputHelper output)
{
    static double Seconds => double.TryParse(Environment.GetEnvironmentVariable("JITVIRT_FUZZ_SECONDS"), out double s) && s > 0 ? s : 30;

    [Fact]
    public void RandomCodeOnlyRaisesGuestExceptions()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_FUZZ_SEED"), out int fs) ? fs : Environment.TickCount;
        var rng = new Random(seed);
        var modes = Enum.GetValues<FuzzMode>();
        var perMode = TimeSpan.FromSeconds(Seconds / modes.Length);
        using var m = new TestMachine(32 << 20);
        var gdt = new byte[FuzzModeSetup.Gdt.Length * 8];
        for (int k = 0; k < FuzzModeSetup.Gdt.Length; k++) BitConverter.TryWriteBytes(gdt.AsSpan(k * 8), FuzzModeSetup.Gdt[k]);
        var code = new byte[FuzzModeSetup.CodeSize];
        var vectors = new long[32];
        long instructions = 0, runs = 0;

        foreach (var mode in modes)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < perMode)
            {
                rng.NextBytes(code);
                m.Memory.WriteBytes(FuzzModeSetup.GdtBase, gdt);
                m.Memory.WriteBytes(FuzzModeSetup.CodeBase, code);
                ulong start = FuzzModeSetup.CodeBase + (ulong)rng.Next(0, FuzzModeSetup.CodeSize - 64);
                try
                {
                    FuzzModeSetup.Enter(m.Cpu, mode, start);
                    for (int k = 0; k < 64; k++)
                    {
                        instructions++;
                        if (!m.Interpreter.StepWithoutDelivery(maxRepeats: 64))
                        {
                            byte v = m.Cpu.PendingException.Vector;
                            Assert.True(v < 32, $"fault vector {v} is not an exception vector ({mode}, seed {seed})");
                            vectors[v]++;
                            break;
                        }
                        if ((m.Cpu.Pending & PendingEvent.Shutdown) != 0) break;
                    }
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.Fail($"host exception in {mode} (seed {seed}) at RIP {m.Cpu.Rip:X} bytes {Convert.ToHexString(BytesAt(m, start))}: {e}");
                }
                m.Cpu.Pending = PendingEvent.None;
                m.Ports.Log.Clear();
                runs++;
            }
        }
        output.WriteLine($"seed {seed}: {runs:N0} runs, {instructions:N0} instructions");
        for (int v = 0; v < 32; v++) if (vectors[v] != 0) output.WriteLine($"  vector {v,2}: {vectors[v]:N0}");
        output.WriteLine("unimplemented instructions (raised #UD), by mnemonic:");
        foreach (var kv in m.Cpu.UnimplementedInstructions.OrderByDescending(kv => kv.Value))
            output.WriteLine($"  {kv.Key,-16} {kv.Value:N0}");
        Assert.True(runs > 0);
    }

    static byte[] BytesAt(TestMachine m, ulong address)
    {
        var b = new byte[16];
        m.Memory.ReadBytes(address, b);
        return b;
    }
}
