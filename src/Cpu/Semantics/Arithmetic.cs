namespace JitVirt.Cpu.Semantics;

static class Arithmetic
{
    public static void Register() { }
}
