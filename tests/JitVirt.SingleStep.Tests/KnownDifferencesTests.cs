using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

/// <summary>Checks each documented 286/386 difference against the data it cites.</summary>
public class KnownDifferencesTests
{
    private static readonly TestComparison AnyFailure = new()
    {
        Status = RealModeStatus.HostError,
        Expected = new RegisterSet(),
        FlagsMask = OpcodeInfo.AllFlagsDefined,
    };

    private static int CountApplying(KnownDifference difference, out int total)
    {
        int count = 0;
        total = 0;
        foreach (var file in SingleStepDataDirectory.TestFiles(TestData.Root))
        {
            var form = InstructionForm.Parse(file).Key;
            if (!difference.CoversForm(form)) continue;
            foreach (var test in MooReader.ReadAll(file))
            {
                total++;
                if (difference.AppliesTo(test, AnyFailure)) count++;
            }
        }
        return count;
    }

    [Fact]
    public void LongInstructionsFaultWithVector13()
    {
        // README: instructions longer than 10 bytes take vector 13; no longer instruction runs.
        Assert.Equal(10, CountApplying(KnownDifferences.InstructionLongerThan10Bytes, out _));
        foreach (var file in SingleStepDataDirectory.TestFiles(TestData.Root))
            foreach (var test in MooReader.ReadAll(file))
                if (test.InstructionLength > KnownDifferences.MaxInstructionLength286)
                    Assert.Equal((byte?)13, test.Exception?.Vector);
    }

    [Fact]
    public void MovToFsOrGsRaisesUd()
    {
        int count = 0;
        foreach (var test in MooReader.ReadAll(TestData.File("8E")))
        {
            if (!KnownDifferences.MovToFsGs.AppliesTo(test, AnyFailure)) continue;
            count++;
            Assert.Equal((byte?)6, test.Exception?.Vector);
        }
        Assert.True(count > 0);
    }

    [Fact]
    public void LockedNonLockableInstructionsRunNormally()
    {
        int count = CountApplying(KnownDifferences.LockOnNonLockableInstruction, out _);
        Assert.True(count > 100, $"only {count} LOCK tests on non-lockable instructions");
        var leave = MooReader.ReadAll(TestData.File("C9"))
            .First(t => InstructionBytes.HasPrefix(t.Bytes, InstructionBytes.LockPrefix) && t.Exception is null);
        Assert.True(KnownDifferences.LockOnNonLockableInstruction.AppliesTo(leave, AnyFailure));
    }

    [Fact]
    public void LockableForms()
    {
        Assert.True(LockPrefixRules.IsLockableOn386([0xF0, 0x00, 0x07, 0xF4]));     // lock add [bx],al
        Assert.False(LockPrefixRules.IsLockableOn386([0xF0, 0x00, 0xC0, 0xF4]));    // lock add al,al
        Assert.False(LockPrefixRules.IsLockableOn386([0xF0, 0x38, 0x07, 0xF4]));    // lock cmp [bx],al
        Assert.True(LockPrefixRules.IsLockableOn386([0xF0, 0xF7, 0x1F, 0xF4]));     // lock neg word [bx]
        Assert.False(LockPrefixRules.IsLockableOn386([0xF0, 0x9D, 0xF4]));          // lock popf
    }

    [Fact]
    public void StackSegmentOverrunsAreRecognised()
    {
        // "pop es" with SP=FFFFh and "xor [bp+si],ax" with BP+SI=FFFFh fault with 13 on the 286.
        var popEs = MooReader.ReadAll(TestData.File("07")).Single(t => t.Exception is not null);
        Assert.Equal(13, popEs.Exception!.Value.Vector);
        Assert.True(KnownDifferences.StackSegmentOverrunIsVector13.AppliesTo(popEs, AnyFailure));

        var viaBp = MooReader.ReadAll(TestData.File("31")).Single(t => t.Name == "xor [bp+si],ax");
        Assert.True(KnownDifferences.StackSegmentOverrunIsVector13.AppliesTo(viaBp, AnyFailure));

        // DS-relative: 13 on both CPUs, so not a difference.
        var viaSi = MooReader.ReadAll(TestData.File("31")).Single(t => t.Name == "xor [si],ax");
        Assert.False(KnownDifferences.StackSegmentOverrunIsVector13.AppliesTo(viaSi, AnyFailure));
    }

    [Fact]
    public void EveryVector13TestIsLongOrAWordAtFfffh()
    {
        // Sanity check of the analysis behind the two vector-13 differences.
        int ss = 0, other = 0;
        foreach (var file in SingleStepDataDirectory.TestFiles(TestData.Root))
            foreach (var test in MooReader.ReadAll(file))
            {
                if (test.Exception?.Vector != 13 || InstructionForm.Parse(file).Key == "CD") continue;
                if (KnownDifferences.InstructionLongerThan10Bytes.AppliesTo(test, AnyFailure)) continue;
                if (KnownDifferences.StackSegmentOverrunIsVector13.AppliesTo(test, AnyFailure)) ss++;
                else other++;
            }
        Assert.True(ss > 0);
        Assert.True(other > 0);
    }

    [Fact]
    public void PushSpPushesTheValueBeforeTheDecrementOnBoth()
    {
        // Not a difference (SDM Vol. 3A 'PUSH SP'): verified here so it stays out of the table.
        foreach (var test in MooReader.ReadAll(TestData.File("54")))
        {
            uint sp = test.InitialRegisters[RegisterId.Sp];
            uint address = test.InitialRegisters[RegisterId.Ss] * 16u + ((sp - 2) & 0xFFFF);
            byte lo = ValueAt(test, address), hi = ValueAt(test, address + 1);
            Assert.Equal(sp, (uint)(lo | hi << 8));
        }
    }

    private static byte ValueAt(SingleStepTest test, uint address)
    {
        foreach (var b in test.FinalRam) if (b.Address == address) return b.Value;
        foreach (var b in test.InitialRam) if (b.Address == address) return b.Value;
        return 0;
    }
}
