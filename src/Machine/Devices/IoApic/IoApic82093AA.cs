using JitVirt.Machine.Bus;
using JitVirt.Machine.Devices.Apic;

namespace JitVirt.Machine.Devices.IoApic;

/// <summary>
/// 82093AA I/O APIC: IOREGSEL/IOWIN window, 24 redirection entries, 24 <see cref="IInterruptLine"/>
/// inputs, delivery to the local APIC(s) through <see cref="IApicInterruptDelivery"/>.
/// Departures from the datasheet: the pins carry logical assertion levels, so INTPOL is stored but
/// not applied (devices report "asserted", not the electrical level); messages are delivered
/// instantly, so DELIVS always reads idle; an edge arriving on a masked pin is dropped; Remote IRR
/// is only set when some local APIC accepted the level-triggered message.
/// </summary>
public sealed class IoApic82093AA : IMmioDevice
{
    private readonly IApicInterruptDelivery _delivery;
    private readonly IoApicInputLine[] _inputs = new IoApicInputLine[IoApicRegister.PinCount];

    public IoApic82093AA(IApicInterruptDelivery delivery, byte id = 0)
    {
        _delivery = delivery;
        State.Id = State.ArbitrationId = ((uint)id << 24) & IoApicRegister.IdMask;
        for (int pin = 0; pin < _inputs.Length; pin++) _inputs[pin] = new IoApicInputLine(this, pin);
    }

    public IoApicState State { get; } = new();

    /// <summary>The input pin <paramref name="pin"/> (0–23) to hand to a device or to the ISA IRQ router.</summary>
    public IInterruptLine GetInput(int pin) => _inputs[pin];

    public IoApicRedirectionEntry GetRedirectionEntry(int pin) => State.RedirectionTable[pin];

    public ulong ReadMmio(ulong offset, int size)
    {
        uint value = offset switch
        {
            IoApicRegister.RegisterSelectOffset => State.RegisterSelect,
            IoApicRegister.WindowOffset => ReadIndirect(State.RegisterSelect),
            _ => 0,
        };
        return size >= 4 ? value : value & ((1u << (size * 8)) - 1);
    }

    public void WriteMmio(ulong offset, int size, ulong value)
    {
        if (offset == IoApicRegister.RegisterSelectOffset) State.RegisterSelect = (byte)value;
        else if (offset == IoApicRegister.WindowOffset && size == 4) WriteIndirect(State.RegisterSelect, (uint)value);
    }

    /// <summary>Input pin level change from a device (edge: rising edge; level: while asserted).</summary>
    public void SetInputLevel(int pin, bool asserted)
    {
        uint bit = 1u << pin;
        bool wasAsserted = (State.InputLevels & bit) != 0;
        State.InputLevels = asserted ? State.InputLevels | bit : State.InputLevels & ~bit;
        if (!asserted) return;
        if (State.RedirectionTable[pin].LevelTriggered || !wasAsserted) TryDeliver(pin);
    }

    /// <summary>
    /// EOI message from a local APIC: clears Remote IRR of level entries with this vector and
    /// re-delivers any whose input is still asserted (82093AA datasheet §3.2.4, Remote IRR).
    /// </summary>
    public void OnEoiBroadcast(byte vector)
    {
        var table = State.RedirectionTable;
        for (int pin = 0; pin < table.Length; pin++)
        {
            var entry = table[pin];
            if (!entry.LevelTriggered || !entry.RemoteIrrSet || entry.Vector != vector) continue;
            table[pin] = entry.WithRemoteIrr(false);
            if (IsAsserted(pin)) TryDeliver(pin);
        }
    }

    private bool IsAsserted(int pin) => (State.InputLevels & (1u << pin)) != 0;

    private void TryDeliver(int pin)
    {
        var entry = State.RedirectionTable[pin];
        if (entry.IsMasked || (entry.LevelTriggered && entry.RemoteIrrSet)) return;
        bool accepted = _delivery.Deliver(entry.ToMessage());
        if (entry.LevelTriggered && accepted) State.RedirectionTable[pin] = entry.WithRemoteIrr(true);
    }

    private uint ReadIndirect(byte index)
    {
        switch (index)
        {
            case IoApicRegister.Id: return State.Id;
            case IoApicRegister.Version: return IoApicRegister.VersionValue;
            case IoApicRegister.Arbitration: return State.ArbitrationId;
        }
        if (!TryGetRedirectionSlot(index, out int pin, out bool high)) return 0;
        ulong raw = State.RedirectionTable[pin].Raw;
        return high ? (uint)(raw >> 32) : (uint)raw;
    }

    private void WriteIndirect(byte index, uint value)
    {
        if (index == IoApicRegister.Id)
        {
            // Writing the ID also loads the arbitration ID (82093AA datasheet §3.2.3).
            State.Id = State.ArbitrationId = value & IoApicRegister.IdMask;
            return;
        }
        if (!TryGetRedirectionSlot(index, out int pin, out bool high)) return;
        WriteRedirectionHalf(pin, high, value);
    }

    private void WriteRedirectionHalf(int pin, bool high, uint value)
    {
        ulong raw = State.RedirectionTable[pin].Raw;
        ulong written = high ? (raw & 0xFFFF_FFFFul) | ((ulong)value << 32) : (raw & ~0xFFFF_FFFFul) | value;
        ulong merged = (raw & ~IoApicRedirectionEntry.Writable) | (written & IoApicRedirectionEntry.Writable);
        var entry = new IoApicRedirectionEntry(merged);
        if (!entry.LevelTriggered) entry = entry.WithRemoteIrr(false);
        State.RedirectionTable[pin] = entry;
        // An unmasked level entry whose input is already asserted fires now.
        if (entry.LevelTriggered && IsAsserted(pin)) TryDeliver(pin);
    }

    /// <summary>Entry n occupies indices 0x10+2n (bits 31:0) and 0x11+2n (bits 63:32) (datasheet §3.2 Table 2).</summary>
    private static bool TryGetRedirectionSlot(byte index, out int pin, out bool high)
    {
        int slot = index - IoApicRegister.RedirectionTableBase;
        pin = slot >> 1;
        high = (slot & 1) != 0;
        return slot >= 0 && pin < IoApicRegister.PinCount;
    }
}
