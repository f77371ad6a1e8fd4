namespace JitVirt.Cpu.Semantics;

static class ShiftRotate
{
    public static void Register() { }
}
