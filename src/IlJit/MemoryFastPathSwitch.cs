namespace JitVirt.IlJit;

/// <summary>
/// Switches the IL tier's inline memory fast path (<see cref="MemoryEmitter"/>) on or off for
/// blocks compiled from now on. On by default; off reproduces the tier before the fast path
/// (every memory operand calls the interpreter's handler), so one benchmark run can compare both.
/// </summary>
public static class MemoryFastPathSwitch
{
    public static volatile bool Enabled = true;
}
