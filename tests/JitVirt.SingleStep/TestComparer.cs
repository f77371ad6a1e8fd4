namespace JitVirt.SingleStep;

/// <summary>
/// Compares an emulator run with a test (README "Running a test" step 3 and "Undefined flags").
/// Hot path: no LINQ, no allocation when the test passes beyond the expected register set.
/// </summary>
public static class TestComparer
{
    public static RegisterSet ExpectedRegisters(SingleStepTest test)
    {
        var expected = test.FinalRegisters.Clone();
        bool flagsInFinal = (test.FinalRegisterMask >> (int)RegisterId.Flags & 1) != 0;
        if (!flagsInFinal)
        {
            // Unchanged FLAGS come from INIT, whose bits 12–15 are a LOADALL artefact (README).
            expected[RegisterId.Flags] = (ushort)(expected[RegisterId.Flags] & ~RealModeSetup.Flags286RealModeUnsupportedBits);
        }
        return expected;
    }

    public static TestComparison Compare(SingleStepTest test, OpcodeInfo info, RealModeResult result)
    {
        var expected = ExpectedRegisters(test);
        ushort flagsMask = info.FlagsMask;
        if (result.Status != RealModeStatus.Ok || result.Registers is null || result.Memory is null)
        {
            return new TestComparison
            {
                Status = result.Status == RealModeStatus.Ok ? RealModeStatus.HostError : result.Status,
                Message = result.Status == RealModeStatus.Ok ? "Ok result without registers or memory" : result.Message,
                Expected = expected,
                Actual = result.Registers,
                FlagsMask = flagsMask,
            };
        }

        var actual = result.Registers;
        ushort regMismatch = 0;
        for (int i = 0; i < RegisterSet.Count; i++)
        {
            ushort mask = i == (int)RegisterId.Flags ? flagsMask : (ushort)0xFFFF;
            if (((expected[i] ^ actual[i]) & mask) != 0) regMismatch |= (ushort)(1 << i);
        }

        List<MemoryMismatch>? memory = null;
        var final = test.FinalRam;
        uint? flagAddress = ExceptionFrame.PushedFlagsAddress(test);
        for (int i = 0; i < final.Length; i++)
        {
            var b = final[i];
            byte mask = PushedFlagsByteMask(b.Address, flagAddress, flagsMask);
            byte got = result.Memory.ReadByte(b.Address);
            if (((got ^ b.Value) & mask) != 0)
                (memory ??= []).Add(new MemoryMismatch(b.Address, b.Value, got, mask, ExpectedWrite: true));
        }

        // INIT bytes that FINA does not list must be unchanged: catches stray writes.
        var initial = test.InitialRam;
        for (int i = 0; i < initial.Length; i++)
        {
            var b = initial[i];
            if (Contains(final, b.Address)) continue;
            byte got = result.Memory.ReadByte(b.Address);
            if (got != b.Value)
                (memory ??= []).Add(new MemoryMismatch(b.Address, b.Value, got, 0xFF, ExpectedWrite: false));
        }

        return new TestComparison
        {
            Status = RealModeStatus.Ok,
            Expected = expected,
            Actual = actual,
            RegisterMismatchMask = regMismatch,
            FlagsMask = flagsMask,
            MemoryMismatches = (IReadOnlyList<MemoryMismatch>?)memory ?? [],
        };
    }

    /// <summary>README: "When the test has an EXCP record, also apply the mask to the FLAGS word
    /// that the exception pushed". The address comes from <see cref="ExceptionFrame"/>, because the
    /// recorded flag_address is word-aligned when SP was odd.</summary>
    private static byte PushedFlagsByteMask(uint address, uint? flagAddress, ushort flagsMask)
    {
        if (flagAddress is not { } fa) return 0xFF;
        if (address == fa) return (byte)flagsMask;
        if (address == fa + 1) return (byte)(flagsMask >> 8);
        return 0xFF;
    }

    private static bool Contains(RamByte[] bytes, uint address)
    {
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i].Address == address) return true;
        return false;
    }
}
