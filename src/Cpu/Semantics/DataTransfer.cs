namespace JitVirt.Cpu.Semantics;

static class DataTransfer
{
    public static void Register() { }
}
