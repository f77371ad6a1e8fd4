namespace JitVirt.Cpu;

/// <summary>What started a task switch (SDM vol.3 §9.3): it decides the busy/NT/back-link handling.</summary>
public enum TaskSwitchSource { Jmp, Call, Iret, InterruptOrException }

public sealed partial class Cpu
{
    /// <summary>
    /// PLACEHOLDER so the system family compiles before the segments family is merged: the real
    /// task switch (SDM vol.3 §9.3) lives in the segments engineer's version of this file, which
    /// replaces this one at merge. Until then a task gate in the IDT raises #GP(TSS selector).
    /// </summary>
    public bool TaskSwitch(ushort tssSelector, TaskSwitchSource source, bool hasErrorCode = false, uint errorCode = 0)
    {
        RaiseGeneralProtection((uint)(tssSelector & 0xFFFC));
        return false;
    }
}
