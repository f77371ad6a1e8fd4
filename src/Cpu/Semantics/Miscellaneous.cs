namespace JitVirt.Cpu.Semantics;

static class Miscellaneous
{
    public static void Register() { }
}
