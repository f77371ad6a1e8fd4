using System.Text;

namespace JitVirt.NativeOracle;

/// <summary>
/// Compares a candidate's result with the reference's for one case: the visible GPRs (low 32 bits in
/// compatibility mode), RFLAGS restricted to the flags the manual defines for this case (see
/// <see cref="CaseFacts"/>) plus DF, TF and AC, the visible XMM registers and MXCSR, the scratch and
/// stack memory, and the fault vector, error code and (for #PF) fault address. A destination the manual
/// leaves undefined is skipped.
/// </summary>
public sealed class OracleComparer
{
    /// <summary>Non-status flags that must always match: DF (string direction), and TF/AC which no case
    /// sets, so a candidate that sets them is wrong.</summary>
    public const ulong AlwaysComparedFlags = X86Flags.DF | X86Flags.TF | X86Flags.AC;

    private const int MaxListedMemoryDifferences = 32;

    /// <summary>Returns null when <paramref name="actual"/> matches <paramref name="expected"/> for
    /// <paramref name="testCase"/>, otherwise a description of every difference.</summary>
    public OracleMismatch? Compare(OracleCase testCase, OracleState expected, OracleState actual)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var facts = CaseFacts.For(testCase);
        // A fault happens before the instruction completes, so every flag keeps a defined value.
        ulong definedFlags = expected.Faulted ? X86Flags.Arithmetic : facts.DefinedFlagMask;
        bool skipResult = facts.ResultUndefined && !expected.Faulted;
        var mode = testCase.Mode;

        List<string>? differences = null;
        void Add(string line) => (differences ??= []).Add(line);

        bool compat = mode == ExecutionMode.Compat32;
        int gprs = GprIndex.VisibleCount(mode);
        for (int i = 0; i < gprs; i++)
        {
            if (skipResult && facts.UndefinedRegister == i) continue;
            ulong e = compat ? (uint)expected.Gpr[i] : expected.Gpr[i];
            ulong a = compat ? (uint)actual.Gpr[i] : actual.Gpr[i];
            if (e != a) Add($"{GprIndex.Name(i)}: expected {e:X16} actual {a:X16}");
        }

        ulong flagMask = definedFlags | AlwaysComparedFlags;
        if (((expected.Rflags ^ actual.Rflags) & flagMask) != 0)
            Add($"rflags: expected {X86Flags.Describe(expected.Rflags)} actual {X86Flags.Describe(actual.Rflags)} " +
                $"(compared {X86Flags.Describe(flagMask)}, differing {X86Flags.Describe((expected.Rflags ^ actual.Rflags) & flagMask)})");

        int xmms = compat ? 8 : 16;
        for (int i = 0; i < xmms; i++)
            if (expected.Xmm[i] != actual.Xmm[i]) Add($"xmm{i}: expected {expected.Xmm[i]} actual {actual.Xmm[i]}");
        if (expected.Mxcsr != actual.Mxcsr) Add($"mxcsr: expected {expected.Mxcsr:X4} actual {actual.Mxcsr:X4}");

        if (expected.FaultVector != actual.FaultVector)
            Add($"fault: expected {FaultVectors.Name(expected.FaultVector)} actual {FaultVectors.Name(actual.FaultVector)}");
        else if (expected.Faulted)
        {
            if (expected.ErrorCode != actual.ErrorCode) Add($"error code: expected {expected.ErrorCode:X} actual {actual.ErrorCode:X}");
            if (expected.FaultVector == FaultVectors.PageFault && expected.FaultAddress != actual.FaultAddress)
                Add($"fault address: expected {expected.FaultAddress:X} actual {actual.FaultAddress:X}");
        }

        var layout = testCase.Layout;
        int skipFrom = -1, skipTo = -1;
        if (skipResult && facts.UndefinedMemoryLength > 0 && layout.IsInScratch(facts.UndefinedMemoryAddress, facts.UndefinedMemoryLength))
        {
            skipFrom = (int)(facts.UndefinedMemoryAddress - layout.ScratchAddress);
            skipTo = skipFrom + facts.UndefinedMemoryLength;
        }
        CompareMemory("scratch", layout.ScratchAddress, expected.Scratch, actual.Scratch, skipFrom, skipTo, Add);
        CompareMemory("stack", layout.StackAddress, expected.Stack, actual.Stack, -1, -1, Add);

        if (differences is null) return null;
        return new OracleMismatch(testCase, differences, BuildReport(testCase, facts, expected, actual, differences));
    }

    private static void CompareMemory(string name, ulong baseAddress, byte[] expected, byte[] actual, int skipFrom, int skipTo, Action<string> add)
    {
        if (skipFrom < 0 && expected.AsSpan().SequenceEqual(actual)) return;
        int listed = 0, total = 0;
        int length = Math.Min(expected.Length, actual.Length);
        for (int i = 0; i < length; i++)
        {
            if (i >= skipFrom && i < skipTo) continue;
            if (expected[i] == actual[i]) continue;
            total++;
            if (listed++ < MaxListedMemoryDifferences)
                add($"{name}+0x{i:X3} ({baseAddress + (ulong)i:X}): expected {expected[i]:X2} actual {actual[i]:X2}");
        }
        if (total > MaxListedMemoryDifferences) add($"{name}: {total - MaxListedMemoryDifferences} more differing bytes");
        if (expected.Length != actual.Length) add($"{name}: sizes differ ({expected.Length} vs {actual.Length})");
    }

    private static string BuildReport(OracleCase c, CaseFacts facts, OracleState expected, OracleState actual, List<string> differences)
    {
        var sb = new StringBuilder();
        sb.Append("Oracle mismatch: ").Append(c.Mode).Append(' ').Append(c.FormName).Append('\n');
        sb.Append("  ").Append(c.Disassembly).Append('\n');
        sb.Append("  seed ").Append(c.Seed).Append(", case seed 0x").Append(c.CaseSeed.ToString("X16"))
          .Append(" — rebuild with new FormCatalog(layout).CreateCase(ExecutionMode.").Append(c.Mode)
          .Append(", \"").Append(c.FormName).Append("\", 0x").Append(c.CaseSeed.ToString("X16")).Append("UL)\n");
        sb.Append("  layout: code 0x").Append(c.Layout.CodeAddress(c.Mode).ToString("X"))
          .Append(", scratch 0x").Append(c.Layout.ScratchAddress.ToString("X"))
          .Append(", stack 0x").Append(c.Layout.StackAddress.ToString("X")).Append('\n');
        sb.Append("  defined flags ").Append(X86Flags.Describe(facts.DefinedFlagMask));
        if (facts.ResultUndefined) sb.Append(", destination undefined (not compared)");
        sb.Append('\n');
        sb.Append("Differences:\n");
        foreach (string d in differences) sb.Append("  ").Append(d).Append('\n');
        sb.Append("Initial state:\n").Append(c.Initial.Describe(c.Mode));
        sb.Append("Expected (reference):\n").Append(expected.Describe(c.Mode));
        sb.Append("Actual (candidate):\n").Append(actual.Describe(c.Mode));
        return sb.ToString();
    }
}
