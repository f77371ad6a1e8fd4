namespace JitVirt.SingleStep;

/// <summary>
/// A behaviour in which the recorded 80286 differs on purpose from the 386+/x86-64 CPU that
/// JitVirt emulates. A failing test is "documented" when a difference applies to it.
/// </summary>
/// <param name="Id">Short stable name.</param>
/// <param name="Forms">Form keys ("9D", "8E") it is limited to, or empty for any form.</param>
/// <param name="Behaviour286">What the data (the 80C286) shows.</param>
/// <param name="Behaviour386">What a 386+ does instead.</param>
/// <param name="Reference">Manual references.</param>
/// <param name="AppliesTo">Whether the difference explains this failing test.</param>
public sealed record KnownDifference(
    string Id,
    IReadOnlyList<string> Forms,
    string Behaviour286,
    string Behaviour386,
    string Reference,
    Func<SingleStepTest, TestComparison, bool> AppliesTo)
{
    public bool CoversForm(string formKey)
    {
        if (Forms.Count == 0) return true;
        for (int i = 0; i < Forms.Count; i++)
            if (string.Equals(Forms[i], formKey, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    public override string ToString() => $"{Id}: 286 {Behaviour286}; 386+ {Behaviour386} ({Reference})";
}
