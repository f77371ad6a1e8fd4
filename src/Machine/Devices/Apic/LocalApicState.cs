namespace JitVirt.Machine.Devices.Apic;

/// <summary>Plain register state of one xAPIC (SDM vol.3 §11.4.7.1 gives the reset values).</summary>
public sealed record LocalApicState
{
    public ulong ApicBase = ApicBaseMsr.BootstrapResetValue;
    public uint Id;
    public uint TaskPriority;
    public uint LogicalDestination;
    /// <summary>DFR resets to all ones: flat model (SDM vol.3 §11.6.2.2).</summary>
    public uint DestinationFormat = 0xFFFF_FFFF;
    /// <summary>SVR resets to 0xFF: software disabled, spurious vector 0xFF (SDM vol.3 §11.9).</summary>
    public uint SpuriousInterruptVector = 0xFF;
    /// <summary>Errors detected since the last ESR write (the hidden accumulator of SDM vol.3 §11.5.3).</summary>
    public ApicErrorStatus PendingErrors;
    /// <summary>What the ESR reads: the errors latched by the last ESR write.</summary>
    public ApicErrorStatus ErrorStatus;
    public uint InterruptCommandLow;
    public uint InterruptCommandHigh;
    public uint LvtTimer = LocalVectorTableEntry.ResetValue;
    public uint LvtThermalSensor = LocalVectorTableEntry.ResetValue;
    public uint LvtPerformanceCounter = LocalVectorTableEntry.ResetValue;
    public uint LvtLint0 = LocalVectorTableEntry.ResetValue;
    public uint LvtLint1 = LocalVectorTableEntry.ResetValue;
    public uint LvtError = LocalVectorTableEntry.ResetValue;
    public bool NmiPending;
    public bool ExtIntPending;
    public ApicVectorRegister InService { get; init; } = new();
    public ApicVectorRegister TriggerMode { get; init; } = new();
    public ApicVectorRegister InterruptRequest { get; init; } = new();
}
