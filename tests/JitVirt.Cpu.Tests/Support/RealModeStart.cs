namespace JitVirt.Cpu.Tests.Support;

/// <summary>The real-mode start state of the test machines (shared by the CPU and IL tests' TestMachines).</summary>
public static class RealModeStart
{
    /// <summary>Puts <paramref name="cpu"/> in real mode at <paramref name="cs"/>:<paramref name="ip"/> with flat 64 KiB segments.</summary>
    public static void Apply(Cpu cpu, ushort cs, ushort ip)
    {
        cpu.Reset();
        for (int s = 0; s < State.SegmentIndex.Count; s++) cpu.LoadRealModeSegment(s, 0);
        cpu.LoadRealModeSegment(State.SegmentIndex.Cs, cs);
        cpu.Rip = ip;
        cpu.Gpr[State.Gpr.Rsp] = 0xFFFE;
    }
}
