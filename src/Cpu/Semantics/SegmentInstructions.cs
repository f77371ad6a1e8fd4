namespace JitVirt.Cpu.Semantics;

static class SegmentInstructions
{
    public static void Register() { }
}
