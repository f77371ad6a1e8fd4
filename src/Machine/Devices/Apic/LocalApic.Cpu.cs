namespace JitVirt.Machine.Devices.Apic;

/// <summary>The CPU-facing half of the local APIC: interrupt acceptance, acknowledge, EOI, MSRs, CR8.</summary>
public sealed partial class LocalApic
{
    /// <summary>
    /// True when the CPU should take maskable interrupts straight from the 8259 PIC: the APIC is
    /// globally disabled (INTR goes to the core) or LINT0 is unmasked in ExtINT mode (virtual wire,
    /// SDM vol.3 §11.5.1; MP spec §3.6.2.2).
    /// </summary>
    public bool Lint0ExtIntPassThrough =>
        !IsHardwareEnabled
        || (!LocalVectorTableEntry.IsMasked(State.LvtLint0)
            && LocalVectorTableEntry.DeliveryMode(State.LvtLint0) == ApicDeliveryMode.ExtInt);

    /// <summary>Highest pending IRR vector whose priority class exceeds PPR[7:4] (SDM vol.3 §11.8.3.1).</summary>
    public bool TryGetHighestDeliverable(out int vector)
    {
        vector = State.InterruptRequest.Highest();
        if (!IsHardwareEnabled || vector < 0) return false;
        return ApicPriority.IsDeliverable(vector, ProcessorPriority);
    }

    /// <summary>
    /// INTA cycle: moves the highest deliverable vector from IRR to ISR and returns it (SDM vol.3 §11.8.4).
    /// With nothing deliverable any more the spurious vector is returned and no ISR bit is set (SDM vol.3 §11.9).
    /// </summary>
    public int Acknowledge()
    {
        if (!TryGetHighestDeliverable(out int vector)) return (int)(State.SpuriousInterruptVector & 0xFF);
        State.InterruptRequest.Clear(vector);
        State.InService.Set(vector);
        return vector;
    }

    /// <summary>
    /// Accepts a fixed interrupt into the IRR; the TMR bit records the trigger mode (SDM vol.3 §11.8.4).
    /// Illegal vectors set the ESR instead (§11.5.3); a software-disabled APIC drops fixed interrupts (§11.4.7.2).
    /// </summary>
    public void AcceptInterrupt(int vector, bool levelTriggered)
    {
        if (!IsHardwareEnabled) return;
        if (vector < FirstLegalVector) { SignalError(ApicErrorStatus.ReceivedIllegalVector); return; }
        if (!IsSoftwareEnabled) return;
        State.InterruptRequest.Set(vector);
        State.TriggerMode.Assign(vector, levelTriggered);
    }

    /// <summary>Message from the I/O APIC (or another APIC): accepted when the destination names this APIC.</summary>
    public bool Deliver(in ApicInterruptMessage message)
    {
        if (!IsHardwareEnabled || !MatchesDestination(message.Destination, message.LogicalDestination)) return false;
        return AcceptMessage(message.DeliveryMode, message.Vector, message.LevelTriggered);
    }

    /// <summary>Takes a pending NMI (from LINT1, an NMI IPI or an NMI message); the CPU calls this at instruction boundaries.</summary>
    public bool TryTakePendingNmi()
    {
        bool pending = State.NmiPending;
        State.NmiPending = false;
        return pending;
    }

    /// <summary>Takes a pending ExtINT request (ExtINT message or edge on an ExtINT LVT); the CPU then asks the PIC for the vector.</summary>
    public bool TryTakePendingExtInt()
    {
        bool pending = State.ExtIntPending;
        State.ExtIntPending = false;
        return pending;
    }

    /// <summary>Edge on LINT0/LINT1 (pin 0 or 1) delivered through its LVT entry (SDM vol.3 §11.5.1).</summary>
    public void RaiseLocalInterruptPin(int pin) => RaiseLocalVectorTable(pin == 0 ? State.LvtLint0 : State.LvtLint1);

    public ulong ReadApicBaseMsr() => State.ApicBase;

    /// <summary>
    /// WRMSR IA32_APIC_BASE. Returns false when the value sets a reserved bit (the CPU raises #GP).
    /// The BSP flag is read-only. Clearing the global enable resets the registers, so re-enabling
    /// starts from the power-up state (SDM vol.3 §11.4.3).
    /// </summary>
    public bool TryWriteApicBaseMsr(ulong value)
    {
        if (!ApicBaseMsr.IsValid(value, _maxPhysicalAddressBits)) return false;
        ulong old = State.ApicBase;
        State.ApicBase = (value & ~ApicBaseMsr.BootstrapProcessor) | (old & ApicBaseMsr.BootstrapProcessor);
        if (ApicBaseMsr.IsEnabled(old) && !IsHardwareEnabled) ResetRegisters();
        ulong oldBase = ApicBaseMsr.Base(old, _maxPhysicalAddressBits);
        if (oldBase != BaseAddress) BaseRelocated?.Invoke(BaseAddress);
        return true;
    }

    /// <summary>MOV from CR8: TPR[7:4] (SDM vol.3 §11.8.6.1).</summary>
    public ulong ReadCr8() => ApicPriority.TprToCr8(State.TaskPriority);

    /// <summary>MOV to CR8: TPR = CR8[3:0] &lt;&lt; 4 (SDM vol.3 §11.8.6.1).</summary>
    public void WriteCr8(ulong value) => State.TaskPriority = ApicPriority.Cr8ToTpr(value);

    /// <summary>RDMSR IA32_TSC_DEADLINE (MSR 0x6E0, SDM vol.3 §11.5.4.1).</summary>
    public ulong ReadTscDeadlineMsr() => Timer.ReadTscDeadline();

    /// <summary>WRMSR IA32_TSC_DEADLINE (MSR 0x6E0, SDM vol.3 §11.5.4.1).</summary>
    public void WriteTscDeadlineMsr(ulong value) => Timer.WriteTscDeadline(value);

    /// <summary>
    /// EOI: retire the highest ISR bit; a level-triggered vector (TMR set) is broadcast to the
    /// I/O APICs (SDM vol.3 §11.8.5).
    /// </summary>
    private void EndOfInterrupt()
    {
        int vector = State.InService.Highest();
        if (vector < 0) return;
        State.InService.Clear(vector);
        if (State.TriggerMode.IsSet(vector)) EoiBroadcast?.Invoke((byte)vector);
    }

    /// <summary>Writing ICR[31:0] sends the IPI (SDM vol.3 §11.6.1).</summary>
    private void WriteInterruptCommand(uint value)
    {
        State.InterruptCommandLow = value & InterruptCommandLowWritable;
        var ipi = ApicInterProcessorInterrupt.Decode(State.InterruptCommandLow, State.InterruptCommandHigh);
        bool needsVector = ipi.DeliveryMode is ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority;
        if (needsVector && ipi.Vector < FirstLegalVector)
        {
            SignalError(ApicErrorStatus.SendIllegalVector);
            return;
        }
        bool local = TargetsSelf(ipi) && !ipi.IsInitLevelDeassert && AcceptSelfIpi(ipi);
        InterProcessorInterruptSent?.Invoke(ipi with { DeliveredLocally = local });
    }

    private bool TargetsSelf(in ApicInterProcessorInterrupt ipi) => ipi.Shorthand switch
    {
        ApicDestinationShorthand.Self or ApicDestinationShorthand.AllIncludingSelf => true,
        ApicDestinationShorthand.AllExcludingSelf => false,
        _ => MatchesDestination(ipi.Destination, ipi.LogicalDestination),
    };

    /// <summary>INIT / SIPI / SMI to self are left to the CPU via the IPI callback.</summary>
    private bool AcceptSelfIpi(in ApicInterProcessorInterrupt ipi) =>
        ipi.DeliveryMode is not (ApicDeliveryMode.Init or ApicDeliveryMode.StartUp or ApicDeliveryMode.Smi)
        && AcceptMessage(ipi.DeliveryMode, ipi.Vector, ipi.LevelTriggered);

    private bool AcceptMessage(ApicDeliveryMode mode, byte vector, bool levelTriggered)
    {
        switch (mode)
        {
            case ApicDeliveryMode.Fixed:
            case ApicDeliveryMode.LowestPriority:
                AcceptInterrupt(vector, levelTriggered);
                return IsSoftwareEnabled && vector >= FirstLegalVector;
            case ApicDeliveryMode.Nmi:
                State.NmiPending = true;
                return true;
            case ApicDeliveryMode.ExtInt:
                State.ExtIntPending = true;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Destination matching (SDM vol.3 §11.6.2): physical compares APIC ID[31:24], 0xFF broadcasts;
    /// logical uses the flat (DFR model 1111b) or cluster (0000b) model against LDR[31:24].
    /// </summary>
    private bool MatchesDestination(byte destination, bool logical)
    {
        const byte broadcast = 0xFF;
        if (destination == broadcast) return true;
        if (!logical) return destination == (byte)(State.Id >> 24);
        byte ldr = (byte)(State.LogicalDestination >> 24);
        bool flat = (State.DestinationFormat >> 28) == 0xF;
        if (flat) return (ldr & destination) != 0;
        return (destination >> 4) == (ldr >> 4) && (destination & ldr & 0x0F) != 0;
    }
}
