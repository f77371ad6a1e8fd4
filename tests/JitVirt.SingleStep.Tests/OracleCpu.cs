using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

/// <summary>
/// A fake <see cref="IRealModeCpu"/> that answers with each test's recorded final state
/// (found through the INIT RAM array the runner passes on), optionally altered by
/// <see cref="Tamper"/>. It lets the runner and comparer be tested without an emulator.
/// </summary>
internal sealed class OracleCpu : IRealModeCpu
{
    private readonly Dictionary<object, SingleStepTest> _byInitialRam = new(ReferenceEqualityComparer.Instance);

    public Action<SingleStepTest, RegisterSet>? Tamper { get; init; }

    public void Register(SingleStepTest test) => _byInitialRam[test.InitialRam] = test;

    public RealModeResult Run(RealModeSetup setup)
    {
        if (!_byInitialRam.TryGetValue(setup.Memory, out var test))
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
