namespace JitVirt.Cpu.Semantics;

static class StackOperations
{
    public static void Register() { }
}
