namespace JitVirt.Cpu.Semantics;

static class FastSystemCalls
{
    public static void Register() { }
}
