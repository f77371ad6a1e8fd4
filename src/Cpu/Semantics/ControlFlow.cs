namespace JitVirt.Cpu.Semantics;

static class ControlFlow
{
    public static void Register() { }
}
