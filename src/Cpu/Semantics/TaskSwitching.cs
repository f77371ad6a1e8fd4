namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Task switches have no opcodes of their own: JMP/CALL to a TSS or task gate
/// (<see cref="FarControlTransfer"/>), IRET with NT = 1, and IDT task gates all end in
/// <see cref="Cpu.TaskSwitch"/> (src/Cpu/Cpu.TaskSwitch.cs).
/// </summary>
static class TaskSwitching
{
    public static void Register() { }
}
