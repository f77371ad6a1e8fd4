namespace JitVirt.SingleStep;

/// <summary>
/// Where an exception or interrupt pushed FLAGS. The pushes are FLAGS, CS, IP (SP − 2, − 4, − 6),
/// and the test ends on the handler's HLT, so FLAGS is at SS:(final SP + 4).
/// </summary>
/// <remarks>
/// The <c>EXCP</c> flag address is the address of the bus cycle, which the 286 word-aligns: in
/// this data set it equals the computed address in 768 tests and is one below it (even) in the
/// 91 tests whose SP was odd. There, FLAGS really sits at the odd address (the FINA bytes show
/// the pushed IP and CS below it), so the comparer masks the computed address, not the recorded one.
/// </remarks>
public static class ExceptionFrame
{
    private const int FlagsOffsetAboveFinalSp = 4;   // IP at SP, CS at SP+2, FLAGS at SP+4

    /// <summary>Linear address of the pushed FLAGS word, or null when the test has no EXCP.</summary>
    public static uint? PushedFlagsAddress(SingleStepTest test)
    {
        if (test.Exception is null) return null;
        var final = test.FinalRegisters;
        uint ss = final[RegisterId.Ss];
        uint sp = (ushort)(final[RegisterId.Sp] + FlagsOffsetAboveFinalSp);
        return ss * 16 + sp;
    }
}
