namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>One line present on one side of a <see cref="LineDiff"/> only.</summary>
public readonly record struct LineDifference(char Side, int Index, string Text)
{
    public override string ToString() => $"{Side} {Index + 1,4}: {Text}";
}

/// <summary>
/// Line-by-line difference of two sequences by longest common subsequence (the classic dynamic
/// programme; consoles are a few hundred lines, so the quadratic table is small). Lines only in the
/// expected side are marked '-', lines only in the actual side '+', in order.
/// </summary>
public static class LineDiff
{
    public static IReadOnlyList<LineDifference> Compare(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        int n = expected.Count, m = actual.Count;
        var common = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                common[i, j] = expected[i] == actual[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);

        var differences = new List<LineDifference>();
        int a = 0, b = 0;
        while (a < n && b < m)
        {
            if (expected[a] == actual[b]) { a++; b++; }
            else if (common[a + 1, b] >= common[a, b + 1]) { differences.Add(new('-', a, expected[a])); a++; }
            else { differences.Add(new('+', b, actual[b])); b++; }
        }
        for (; a < n; a++) differences.Add(new('-', a, expected[a]));
        for (; b < m; b++) differences.Add(new('+', b, actual[b]));
        return differences;
    }
}
