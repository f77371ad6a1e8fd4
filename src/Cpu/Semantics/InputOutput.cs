namespace JitVirt.Cpu.Semantics;

static class InputOutput
{
    public static void Register() { }
}
