namespace JitVirt.Cpu.Semantics;

static class InterruptInstructions
{
    public static void Register() { }
}
