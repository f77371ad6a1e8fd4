using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

/// <summary>
/// A fake <see cref="IRealModeCpu"/> that answers with each test's recorded final state
/// (found by the setup's name, registers and first RAM bytes), optionally altered by
/// <see cref="Tamper"/>. It lets the runner and comparer be tested without an emulator.
/// </summary>
internal sealed class OracleCpu : IRealModeCpu
{
    private readonly Dictionary<string, SingleStepTest> _bySetup = new(StringComparer.Ordinal);

    public Action<SingleStepTest, RegisterSet>? Tamper { get; init; }

    public void Register(SingleStepTest test) => _bySetup[KeyOf(RealModeSetup.FromTest(test))] = test;

    private static string KeyOf(RealModeSetup setup)
    {
        var key = new System.Text.StringBuilder(setup.Name).Append('|').Append(setup.Registers);
        for (int i = 0; i < setup.Memory.Count && i < 16; i++)
            key.Append('|').Append(setup.Memory[i].Address).Append('=').Append(setup.Memory[i].Value);
        return key.ToString();
    }

    public RealModeResult Run(RealModeSetup setup)
    {
        if (!_bySetup.TryGetValue(KeyOf(setup), out var test))
            return RealModeResult.HostError("oracle does not know this test");
        var memory = new Dictionary<uint, byte>();
        foreach (var b in setup.Memory) memory[b.Address] = b.Value;
        foreach (var b in test.FinalRam) memory[b.Address] = b.Value;
        var registers = TestComparer.ExpectedRegisters(test);
        Tamper?.Invoke(test, registers);
        return RealModeResult.Ok(registers, new DictionaryMemory(memory));
    }

    private sealed class DictionaryMemory(Dictionary<uint, byte> bytes) : IMemoryReadback
    {
        public byte ReadByte(uint linearAddress) => bytes.GetValueOrDefault(linearAddress);
    }
}
