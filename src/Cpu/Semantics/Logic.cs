namespace JitVirt.Cpu.Semantics;

static class Logic
{
    public static void Register() { }
}
