namespace JitVirt.Cpu.State;

/// <summary>Segment register numbers in the ModRM.reg encoding order (SDM vol.2 §3.1.1.3: ES CS SS DS FS GS).</summary>
public static class SegmentIndex
{
    public const int Es = 0, Cs = 1, Ss = 2, Ds = 3, Fs = 4, Gs = 5;
    public const int Count = 6;
}
