namespace JitVirt.Cpu.Semantics;

static class FlagControl
{
    public static void Register() { }
}
