namespace JitVirt.Cpu.Semantics;

static class FarControlTransfer
{
    public static void Register() { }
}
