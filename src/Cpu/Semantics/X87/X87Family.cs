namespace JitVirt.Cpu.Semantics.X87;

static class X87Family
{
    public static void Register() { }
}
