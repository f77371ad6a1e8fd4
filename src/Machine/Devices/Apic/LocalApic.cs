using JitVirt.Machine.Bus;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// xAPIC local APIC: the 4 KiB register page (an <see cref="IMmioDevice"/> mapped at the
/// IA32_APIC_BASE address) plus the CPU-facing acknowledge / MSR / CR8 API (SDM vol.3 chapter 11).
/// Departures from the manual: one vCPU, so IPIs that name other processors are only reported
/// through <see cref="InterProcessorInterruptSent"/>; IPIs complete instantly (delivery status always
/// reads idle); register writes narrower than 32 bits are ignored (SDM §11.4.1 only guarantees
/// aligned 32-bit accesses); reserved offsets read zero without setting the ESR illegal-register bit;
/// EOI-broadcast suppression, the CMCI LVT and x2APIC are not implemented; APR is computed, not
/// used for arbitration; while globally disabled the page reads zero and ignores writes.
/// </summary>
public sealed partial class LocalApic : IMmioDevice, IApicInterruptDelivery
{
    /// <summary>Version register: version 0x14 (integrated xAPIC), Max LVT Entry = 5, i.e. six LVTs (SDM vol.3 §11.4.8 Figure 11-7).</summary>
    public const uint VersionValue = 0x0005_0014;

    /// <summary>Vectors 0–15 are reserved; delivering one is an illegal-vector error (SDM vol.3 §11.5.2).</summary>
    public const int FirstLegalVector = 16;

    private const uint IdMask = 0xFF00_0000;                 // ID in bits 31:24 (SDM vol.3 §11.4.6)
    private const uint LogicalDestinationMask = 0xFF00_0000; // LDR bits 31:24 (SDM vol.3 §11.6.2.2)
    private const uint DestinationFormatModelMask = 0xF000_0000; // DFR bits 31:28 writable, 27:0 read as 1 (SDM vol.3 §11.6.2.2)
    private const uint SoftwareEnable = 1u << 8;             // SVR bit 8 (SDM vol.3 §11.9 Figure 11-23)
    private const uint SpuriousWritable = 0x3FF;             // SVR vector, enable, focus check (bit 12 needs Version bit 24)
    private const uint InterruptCommandLowWritable = 0x000C_CFFF; // ICR bits 19:18, 15:14, 11:0 (SDM vol.3 §11.6.1)
    private const uint InterruptCommandHighWritable = 0xFF00_0000; // ICR destination bits 63:56 (SDM vol.3 §11.6.1)

    private readonly int _maxPhysicalAddressBits;

    public LocalApic(IVirtualClock clock, ITimerScheduler scheduler, long tscFrequencyHz, byte apicId = 0, int maxPhysicalAddressBits = 36)
    {
        _maxPhysicalAddressBits = maxPhysicalAddressBits;
        Timer = new LocalApicTimer(clock, scheduler, tscFrequencyHz, OnTimerExpired);
        State.Id = (uint)apicId << 24;
        InitialApicId = apicId;
    }

    public LocalApicState State { get; } = new();

    public LocalApicTimer Timer { get; }

    public byte InitialApicId { get; }

    /// <summary>Raised with the vector when an EOI retires a level-triggered interrupt (SDM vol.3 §11.8.5); wire to the I/O APIC.</summary>
    public Action<byte>? EoiBroadcast { get; set; }

    /// <summary>Raised for every IPI sent through the ICR, whether or not this APIC accepted it itself.</summary>
    public Action<ApicInterProcessorInterrupt>? InterProcessorInterruptSent { get; set; }

    /// <summary>Raised with the new page base when IA32_APIC_BASE moves the register page; the machine remaps the MMIO range.</summary>
    public Action<ulong>? BaseRelocated { get; set; }

    public ulong BaseAddress => ApicBaseMsr.Base(State.ApicBase, _maxPhysicalAddressBits);

    public bool IsHardwareEnabled => ApicBaseMsr.IsEnabled(State.ApicBase);

    public bool IsSoftwareEnabled => (State.SpuriousInterruptVector & SoftwareEnable) != 0;

    public uint ProcessorPriority => ApicPriority.ProcessorPriority(State.TaskPriority, State.InService.Highest());

    /// <summary>Power-up / INIT reset of the registers (SDM vol.3 §11.4.7.1); IA32_APIC_BASE is left alone.</summary>
    public void ResetRegisters()
    {
        State.Id = (uint)InitialApicId << 24;
        State.TaskPriority = 0;
        State.LogicalDestination = 0;
        State.DestinationFormat = 0xFFFF_FFFF;
        State.SpuriousInterruptVector = 0xFF;
        State.PendingErrors = ApicErrorStatus.None;
        State.ErrorStatus = ApicErrorStatus.None;
        State.InterruptCommandLow = 0;
        State.InterruptCommandHigh = 0;
        State.LvtTimer = State.LvtThermalSensor = State.LvtPerformanceCounter = LocalVectorTableEntry.ResetValue;
        State.LvtLint0 = State.LvtLint1 = State.LvtError = LocalVectorTableEntry.ResetValue;
        State.NmiPending = false;
        State.ExtIntPending = false;
        State.InService.ClearAll();
        State.TriggerMode.ClearAll();
        State.InterruptRequest.ClearAll();
        Timer.Reset();
    }

    public ulong ReadMmio(ulong offset, int size)
    {
        if (!IsHardwareEnabled || offset >= ApicRegister.PageSize) return 0;
        int register = (int)offset & ~(ApicRegister.Stride - 1);
        int byteInRegister = (int)offset & (ApicRegister.Stride - 1);
        if (byteInRegister + size > 4) return 0;
        uint value = ReadRegister(register) >> (byteInRegister * 8);
        return size == 4 ? value : value & ((1u << (size * 8)) - 1);
    }

    public void WriteMmio(ulong offset, int size, ulong value)
    {
        if (!IsHardwareEnabled || size != 4 || offset >= ApicRegister.PageSize) return;
        if ((offset & (ApicRegister.Stride - 1)) != 0) return;
        WriteRegister((int)offset, (uint)value);
    }

    private uint ReadRegister(int register)
    {
        switch (register)
        {
            case ApicRegister.Id: return State.Id;
            case ApicRegister.Version: return VersionValue;
            case ApicRegister.TaskPriority: return State.TaskPriority;
            case ApicRegister.ArbitrationPriority:
                return ApicPriority.ArbitrationPriority(State.TaskPriority, State.InService.Highest(), State.InterruptRequest.Highest());
            case ApicRegister.ProcessorPriority: return ProcessorPriority;
            case ApicRegister.LogicalDestination: return State.LogicalDestination;
            case ApicRegister.DestinationFormat: return State.DestinationFormat;
            case ApicRegister.SpuriousInterruptVector: return State.SpuriousInterruptVector;
            case ApicRegister.ErrorStatus: return (uint)State.ErrorStatus;
            case ApicRegister.InterruptCommandLow: return State.InterruptCommandLow;
            case ApicRegister.InterruptCommandHigh: return State.InterruptCommandHigh;
            case ApicRegister.LvtTimer: return State.LvtTimer;
            case ApicRegister.LvtThermalSensor: return State.LvtThermalSensor;
            case ApicRegister.LvtPerformanceCounter: return State.LvtPerformanceCounter;
            case ApicRegister.LvtLint0: return State.LvtLint0;
            case ApicRegister.LvtLint1: return State.LvtLint1;
            case ApicRegister.LvtError: return State.LvtError;
            case ApicRegister.TimerInitialCount: return Timer.State.InitialCount;
            case ApicRegister.TimerCurrentCount: return Timer.ReadCurrentCount();
            case ApicRegister.TimerDivideConfiguration: return Timer.State.DivideConfiguration;
        }
        return ReadVectorRegister(register);
    }

    private uint ReadVectorRegister(int register)
    {
        int index = (register >> 4) & 7;
        if (register >= ApicRegister.InServiceBase && register < ApicRegister.TriggerModeBase) return State.InService.ReadWord(index);
        if (register >= ApicRegister.TriggerModeBase && register < ApicRegister.InterruptRequestBase) return State.TriggerMode.ReadWord(index);
        if (register >= ApicRegister.InterruptRequestBase && register < ApicRegister.ErrorStatus) return State.InterruptRequest.ReadWord(index);
        return 0;
    }

    private void WriteRegister(int register, uint value)
    {
        switch (register)
        {
            case ApicRegister.Id: State.Id = value & IdMask; break;
            case ApicRegister.TaskPriority: State.TaskPriority = value & 0xFF; break;
            case ApicRegister.Eoi: EndOfInterrupt(); break;
            case ApicRegister.LogicalDestination: State.LogicalDestination = value & LogicalDestinationMask; break;
            case ApicRegister.DestinationFormat: State.DestinationFormat = (value & DestinationFormatModelMask) | ~DestinationFormatModelMask; break;
            case ApicRegister.SpuriousInterruptVector: WriteSpuriousInterruptVector(value); break;
            case ApicRegister.ErrorStatus: LatchErrors(); break;
            case ApicRegister.InterruptCommandLow: WriteInterruptCommand(value); break;
            case ApicRegister.InterruptCommandHigh: State.InterruptCommandHigh = value & InterruptCommandHighWritable; break;
            case ApicRegister.LvtTimer: WriteLvtTimer(value); break;
            case ApicRegister.LvtThermalSensor: State.LvtThermalSensor = MergeLvt(State.LvtThermalSensor, value, LocalVectorTableEntry.MonitorWritable); break;
            case ApicRegister.LvtPerformanceCounter: State.LvtPerformanceCounter = MergeLvt(State.LvtPerformanceCounter, value, LocalVectorTableEntry.MonitorWritable); break;
            case ApicRegister.LvtLint0: State.LvtLint0 = MergeLvt(State.LvtLint0, value, LocalVectorTableEntry.LintWritable); break;
            case ApicRegister.LvtLint1: State.LvtLint1 = MergeLvt(State.LvtLint1, value, LocalVectorTableEntry.LintWritable); break;
            case ApicRegister.LvtError: State.LvtError = MergeLvt(State.LvtError, value, LocalVectorTableEntry.ErrorWritable); break;
            case ApicRegister.TimerInitialCount: Timer.WriteInitialCount(value); break;
            case ApicRegister.TimerDivideConfiguration: Timer.WriteDivideConfiguration(value); break;
        }
    }

    /// <summary>While software-disabled every LVT mask bit is forced set (SDM vol.3 §11.4.7.2).</summary>
    private uint MergeLvt(uint current, uint value, uint writable)
    {
        uint merged = (current & ~writable) | (value & writable);
        return IsSoftwareEnabled ? merged : merged | LocalVectorTableEntry.Masked;
    }

    private void WriteLvtTimer(uint value)
    {
        State.LvtTimer = MergeLvt(State.LvtTimer, value, LocalVectorTableEntry.TimerWritable);
        Timer.SetMode(LocalVectorTableEntry.TimerMode(State.LvtTimer));
    }

    /// <summary>Clearing the software-enable bit masks every LVT (SDM vol.3 §11.4.7.2).</summary>
    private void WriteSpuriousInterruptVector(uint value)
    {
        State.SpuriousInterruptVector = value & SpuriousWritable;
        if (IsSoftwareEnabled) return;
        State.LvtTimer |= LocalVectorTableEntry.Masked;
        State.LvtThermalSensor |= LocalVectorTableEntry.Masked;
        State.LvtPerformanceCounter |= LocalVectorTableEntry.Masked;
        State.LvtLint0 |= LocalVectorTableEntry.Masked;
        State.LvtLint1 |= LocalVectorTableEntry.Masked;
        State.LvtError |= LocalVectorTableEntry.Masked;
    }

    /// <summary>An ESR write moves the errors found since the previous write into the readable register (SDM vol.3 §11.5.3).</summary>
    private void LatchErrors()
    {
        State.ErrorStatus = State.PendingErrors;
        State.PendingErrors = ApicErrorStatus.None;
    }

    /// <summary>Records an error and raises the error LVT if it is unmasked (SDM vol.3 §11.5.3).</summary>
    private void SignalError(ApicErrorStatus error)
    {
        State.PendingErrors |= error;
        uint lvt = State.LvtError;
        if (LocalVectorTableEntry.IsMasked(lvt)) return;
        int vector = LocalVectorTableEntry.Vector(lvt);
        if (vector < FirstLegalVector) { State.PendingErrors |= ApicErrorStatus.ReceivedIllegalVector; return; }
        AcceptInterrupt(vector, levelTriggered: false);
    }

    private void OnTimerExpired() => RaiseLocalVectorTable(State.LvtTimer);

    /// <summary>Locally generated interrupt from an LVT entry (SDM vol.3 §11.5.1).</summary>
    private void RaiseLocalVectorTable(uint lvt)
    {
        if (!IsHardwareEnabled || LocalVectorTableEntry.IsMasked(lvt)) return;
        switch (LocalVectorTableEntry.DeliveryMode(lvt))
        {
            case ApicDeliveryMode.Nmi: State.NmiPending = true; break;
            case ApicDeliveryMode.ExtInt: State.ExtIntPending = true; break;
            case ApicDeliveryMode.Fixed: AcceptInterrupt(LocalVectorTableEntry.Vector(lvt), levelTriggered: false); break;
        }
    }
}
