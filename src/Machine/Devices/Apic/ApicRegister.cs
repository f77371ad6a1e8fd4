namespace JitVirt.Machine.Devices.Apic;

/// <summary>Offsets of the xAPIC registers inside the 4 KiB APIC page (SDM vol.3 §11.4.1 Table 11-1).</summary>
public static class ApicRegister
{
    public const int Id = 0x020;
    public const int Version = 0x030;
    public const int TaskPriority = 0x080;
    public const int ArbitrationPriority = 0x090;
    public const int ProcessorPriority = 0x0A0;
    public const int Eoi = 0x0B0;
    public const int RemoteRead = 0x0C0;
    public const int LogicalDestination = 0x0D0;
    public const int DestinationFormat = 0x0E0;
    public const int SpuriousInterruptVector = 0x0F0;
    public const int InServiceBase = 0x100;          // ISR: eight registers 0x100..0x170
    public const int TriggerModeBase = 0x180;        // TMR: eight registers 0x180..0x1F0
    public const int InterruptRequestBase = 0x200;   // IRR: eight registers 0x200..0x270
    public const int ErrorStatus = 0x280;
    public const int LvtCmci = 0x2F0;
    public const int InterruptCommandLow = 0x300;
    public const int InterruptCommandHigh = 0x310;
    public const int LvtTimer = 0x320;
    public const int LvtThermalSensor = 0x330;
    public const int LvtPerformanceCounter = 0x340;
    public const int LvtLint0 = 0x350;
    public const int LvtLint1 = 0x360;
    public const int LvtError = 0x370;
    public const int TimerInitialCount = 0x380;
    public const int TimerCurrentCount = 0x390;
    public const int TimerDivideConfiguration = 0x3E0;

    /// <summary>Registers sit on 16-byte boundaries (SDM vol.3 §11.4.1).</summary>
    public const int Stride = 0x10;

    /// <summary>The APIC register page is 4 KiB (SDM vol.3 §11.4.1).</summary>
    public const int PageSize = 0x1000;
}
