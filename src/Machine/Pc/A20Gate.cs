namespace JitVirt.Machine.Pc;

/// <summary>
/// The A20M# input: address line 20 is enabled when either the i8042 output port bit 1 or port 92h bit 1
/// (ALT_A20_GATE) is set (Intel PIIX4 datasheet, PORT92 and "A20M#"); the result goes to <see cref="JitVirt.Cpu.Cpu.A20Enabled"/>.
/// </summary>
public sealed class A20Gate(JitVirt.Cpu.Cpu cpu)
{
    private bool _keyboardController = true; // both sources power up with A20 on (I8042State, SystemControlPortA)
    private bool _systemControlPortA = true;

    public bool Enabled => _keyboardController || _systemControlPortA;

    public void SetKeyboardController(bool enabled) { _keyboardController = enabled; Apply(); }

    public void SetSystemControlPortA(bool enabled) { _systemControlPortA = enabled; Apply(); }

    public void Apply() => cpu.A20Enabled = Enabled;
}
