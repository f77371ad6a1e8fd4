namespace JitVirt.Cpu.Semantics;

static class TaskSwitching
{
    public static void Register() { }
}
