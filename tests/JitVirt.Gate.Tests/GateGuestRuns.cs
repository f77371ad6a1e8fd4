using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>Measures the gate's quick guests by name, the way <c>jitvirt bench gate</c> does.</summary>
public static class GateGuestRuns
{
    public static readonly IReadOnlyList<GateGuest> Quick = GateGuestSet.Quick();

    public static GateGuest Guest(string name) => Quick.Single(g => g.Name == name);

    public static GateMeasurement Measure(string guest, string frontEnd, GateSettings? settings = null) =>
        new GateRunner(settings ?? new GateSettings(), TextWriter.Null).Run(Guest(guest), frontEnd);

    /// <summary>Every quick guest under every front end, for theories.</summary>
    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var g in Quick)
            foreach (string fe in new GateSettings().FrontEnds) data.Add(g.Name, fe);
        return data;
    }
}
