namespace JitVirt.SingleStep;

/// <summary>The initial state of one test, ready to load into a real-mode CPU.</summary>
public sealed class RealModeSetup
{
    /// <summary>Size of the flat memory the tests assume: 24 address lines (README "Known limits").</summary>
    public const uint AddressSpaceSize = 1u << 24;

    /// <summary>FLAGS bits 12–15 (IOPL, NT, bit 15). The INIT value is a LOADALL image with random
    /// bits there, which a real-mode 286 cannot hold: the README says to clear them.</summary>
    public const ushort Flags286RealModeUnsupportedBits = 0xF000;

    /// <summary>Default budget: far more than one instruction plus a REP with CX ≤ 3Fh
    /// (README) and a jump to the HLT need.</summary>
    public const int DefaultInstructionLimit = 1024;

    /// <summary>The 14 registers (FLAGS bits 12–15 already cleared). Do not modify.</summary>
    public required RegisterSet Registers { get; init; }

    /// <summary>Bytes to write into the zeroed flat memory before starting (INIT RAM: the
    /// instruction, the bytes prefetched after it, the operands, the interrupt vector if any).</summary>
    public required IReadOnlyList<RamByte> Memory { get; init; }

    /// <summary>Instructions (each REP iteration counting as one) after which the emulator
    /// should stop and return <see cref="RealModeStatus.Hung"/>.</summary>
    public int InstructionLimit { get; init; } = DefaultInstructionLimit;

    /// <summary>Disassembly of the test, for the emulator's own diagnostics only.</summary>
    public string Name { get; init; } = "";

    /// <summary>Builds the setup of a test as the README's "Running a test" step 1 describes.</summary>
    public static RealModeSetup FromTest(SingleStepTest test, int instructionLimit = DefaultInstructionLimit)
    {
        var registers = test.InitialRegisters.Clone();
        registers[RegisterId.Flags] = (ushort)(registers[RegisterId.Flags] & ~Flags286RealModeUnsupportedBits);
        return new RealModeSetup
        {
            Registers = registers,
            Memory = test.InitialRam,
            InstructionLimit = instructionLimit,
            Name = test.Name,
        };
    }
}
