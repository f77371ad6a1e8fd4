namespace JitVirt.Vmx;

/// <summary>Pin-based VM-execution controls (SDM vol.3C §25.6.1, Table 25-5).</summary>
public static class PinControls
{
    public const uint ExternalInterruptExiting = 1u << 0, NmiExiting = 1u << 3, VirtualNmis = 1u << 5, PreemptionTimer = 1u << 6;
}

/// <summary>Primary processor-based VM-execution controls (SDM vol.3C §25.6.2, Table 25-6).</summary>
public static class ProcControls
{
    public const uint InterruptWindowExiting = 1u << 2, UseTscOffsetting = 1u << 3, HltExiting = 1u << 7;
    public const uint InvlpgExiting = 1u << 9, MwaitExiting = 1u << 10, RdpmcExiting = 1u << 11, RdtscExiting = 1u << 12;
    public const uint Cr3LoadExiting = 1u << 15, Cr3StoreExiting = 1u << 16, Cr8LoadExiting = 1u << 19, Cr8StoreExiting = 1u << 20;
    public const uint UseTprShadow = 1u << 21, NmiWindowExiting = 1u << 22, MovDrExiting = 1u << 23;
    public const uint UnconditionalIoExiting = 1u << 24, UseIoBitmaps = 1u << 25, MonitorTrapFlag = 1u << 27;
    public const uint UseMsrBitmaps = 1u << 28, MonitorExiting = 1u << 29, PauseExiting = 1u << 30, ActivateSecondaryControls = 1u << 31;
}

/// <summary>Secondary processor-based VM-execution controls (SDM vol.3C §25.6.2, Table 25-7).</summary>
public static class SecondaryControls
{
    public const uint EnableEpt = 1u << 1, EnableVpid = 1u << 5, WbinvdExiting = 1u << 6, UnrestrictedGuest = 1u << 7;
}

/// <summary>VM-exit controls (SDM vol.3C §25.7.1, Table 25-13).</summary>
public static class ExitControls
{
    public const uint SaveDebugControls = 1u << 2, HostAddressSpaceSize = 1u << 9, AcknowledgeInterruptOnExit = 1u << 15;
}

/// <summary>VM-entry controls (SDM vol.3C §25.8.1, Table 25-15).</summary>
public static class EntryControls
{
    public const uint LoadDebugControls = 1u << 2, Ia32eModeGuest = 1u << 9;
}

/// <summary>Guest interruptibility state (SDM vol.3C §25.4.2, Table 25-3).</summary>
public static class Interruptibility
{
    public const uint BlockingBySti = 1u << 0, BlockingByMovSs = 1u << 1, BlockingBySmi = 1u << 2, BlockingByNmi = 1u << 3;
    public const uint Reserved = 0xFFFF_FFE0;
}

/// <summary>Guest activity state (SDM vol.3C §25.4.2).</summary>
public static class ActivityState
{
    public const uint Active = 0, Hlt = 1, Shutdown = 2, WaitForSipi = 3;
}
