namespace JitVirt.Cpu.Semantics;

static class SystemInstructions
{
    public static void Register() { }
}
