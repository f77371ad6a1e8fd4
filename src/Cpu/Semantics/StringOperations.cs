namespace JitVirt.Cpu.Semantics;

static class StringOperations
{
    public static void Register() { }
}
