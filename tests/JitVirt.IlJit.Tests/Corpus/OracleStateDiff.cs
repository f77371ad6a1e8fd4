using JitVirt.NativeOracle;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>What differs between two outcomes of one oracle case (interpreter against compiled), for the lockstep corpus tests' failure messages; empty when they agree.</summary>
static class OracleStateDiff
{
    public static string Describe(OracleState a, OracleState b)
    {
        var d = new System.Text.StringBuilder();
        for (int r = 0; r < a.Gpr.Length; r++) if (a.Gpr[r] != b.Gpr[r]) d.Append($" GPR{r} {a.Gpr[r]:X} vs {b.Gpr[r]:X};");
        if (a.Rflags != b.Rflags) d.Append($" RFLAGS {a.Rflags:X} vs {b.Rflags:X};");
        for (int k = 0; k < a.Xmm.Length; k++) if (a.Xmm[k] != b.Xmm[k]) d.Append($" XMM{k} {a.Xmm[k]} vs {b.Xmm[k]};");
        if (a.Mxcsr != b.Mxcsr) d.Append($" MXCSR {a.Mxcsr:X} vs {b.Mxcsr:X};");
        if (a.FaultVector != b.FaultVector || a.ErrorCode != b.ErrorCode || a.FaultAddress != b.FaultAddress)
            d.Append($" fault {a.FaultVector}/{a.ErrorCode:X}/{a.FaultAddress:X} vs {b.FaultVector}/{b.ErrorCode:X}/{b.FaultAddress:X};");
        for (int k = 0; k < a.Scratch.Length; k++)
            if (a.Scratch[k] != b.Scratch[k]) { d.Append($" scratch[{k:X3}] {a.Scratch[k]:X2} vs {b.Scratch[k]:X2};"); break; }
        if (!a.Stack.AsSpan().SequenceEqual(b.Stack)) d.Append(" stack memory differs;");
        return d.ToString();
    }
}
