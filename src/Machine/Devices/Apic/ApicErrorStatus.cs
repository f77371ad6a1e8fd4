namespace JitVirt.Machine.Devices.Apic;

/// <summary>Error Status Register bits (SDM vol.3 §11.5.3 Figure 11-9).</summary>
[Flags]
public enum ApicErrorStatus : uint
{
    None = 0,
    SendChecksumError = 1u << 0,
    ReceiveChecksumError = 1u << 1,
    SendAcceptError = 1u << 2,
    ReceiveAcceptError = 1u << 3,
    RedirectableIpi = 1u << 4,
    SendIllegalVector = 1u << 5,
    ReceivedIllegalVector = 1u << 6,
    IllegalRegisterAddress = 1u << 7,
}
