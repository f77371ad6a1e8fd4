namespace JitVirt.Machine.Pc;

/// <summary>A device's request to leave the run loop, latched until the vCPU returns.</summary>
internal enum MachineStop
{
    None,
    DebugExit,
    PowerOff,
    Reset,
}
