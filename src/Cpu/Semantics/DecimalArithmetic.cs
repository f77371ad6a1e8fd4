namespace JitVirt.Cpu.Semantics;

static class DecimalArithmetic
{
    public static void Register() { }
}
