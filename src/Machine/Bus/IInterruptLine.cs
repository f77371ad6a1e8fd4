namespace JitVirt.Machine.Bus;

/// <summary>
/// One interrupt wire from a device to an interrupt controller. Edge-triggered inputs see a
/// rising edge when the level goes from false to true; level-triggered inputs see the level.
/// </summary>
public interface IInterruptLine
{
    void SetLevel(bool asserted);
}
