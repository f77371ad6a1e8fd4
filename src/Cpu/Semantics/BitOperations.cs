namespace JitVirt.Cpu.Semantics;

static class BitOperations
{
    public static void Register() { }
}
