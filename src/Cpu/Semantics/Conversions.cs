namespace JitVirt.Cpu.Semantics;

static class Conversions
{
    public static void Register() { }
}
