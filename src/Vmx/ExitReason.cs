namespace JitVirt.Vmx;

/// <summary>Basic exit reasons, exit-reason bits 15:0 (SDM vol.3C Appendix C); bit 31 marks a failed VM entry.</summary>
public static class ExitReason
{
    public const int ExceptionOrNmi = 0, ExternalInterrupt = 1, TripleFault = 2, InitSignal = 3, StartupIpi = 4;
    public const int IoSmi = 5, OtherSmi = 6, InterruptWindow = 7, NmiWindow = 8, TaskSwitch = 9, Cpuid = 10, Getsec = 11;
    public const int Hlt = 12, Invd = 13, Invlpg = 14, Rdpmc = 15, Rdtsc = 16, Rsm = 17, Vmcall = 18, Vmclear = 19;
    public const int Vmlaunch = 20, Vmptrld = 21, Vmptrst = 22, Vmread = 23, Vmresume = 24, Vmwrite = 25, Vmxoff = 26;
    public const int Vmxon = 27, CrAccess = 28, DrAccess = 29, IoInstruction = 30, MsrRead = 31, MsrWrite = 32;
    public const int InvalidGuestState = 33, MsrLoading = 34, Mwait = 36, MonitorTrapFlag = 37, Monitor = 39, Pause = 40;
    public const int MachineCheck = 41, TprBelowThreshold = 43, Invept = 50, Rdtscp = 51, PreemptionTimer = 52;
    public const int Invvpid = 53, Wbinvd = 54, Xsetbv = 55;

    /// <summary>The number of rows in the handler table (reasons 0–55).</summary>
    public const int Count = 56;

    /// <summary>Exit-reason bit 31: VM-entry failure (SDM vol.3C §27.8).</summary>
    public const uint EntryFailure = 0x8000_0000;
}

/// <summary>Interruption types, bits 10:8 of the interruption-information fields (SDM vol.3C §25.8.3, §25.9.2).</summary>
public static class InterruptionType
{
    public const uint ExternalInterrupt = 0, Nmi = 2, HardwareException = 3, SoftwareInterrupt = 4;
    public const uint PrivilegedSoftwareException = 5, SoftwareException = 6, OtherEvent = 7;
}

/// <summary>
/// The 32-bit interruption-information format shared by the VM-entry interruption information,
/// VM-exit interruption information and IDT-vectoring information fields (SDM vol.3C Table 25-17,
/// 25-19, 25-20): 7:0 vector, 10:8 type, 11 error code valid/deliver, 12 NMI unblocking by IRET, 31 valid.
/// </summary>
public static class InterruptionInfo
{
    public const uint ErrorCodeValid = 1u << 11, NmiUnblockingDueToIret = 1u << 12, Valid = 1u << 31;

    public static uint Make(byte vector, uint type, bool errorCode) => Valid | (type << 8) | vector | (errorCode ? ErrorCodeValid : 0);
    public static bool IsValid(uint info) => (info & Valid) != 0;
    public static byte Vector(uint info) => (byte)info;
    public static uint Type(uint info) => (info >> 8) & 7;
    public static bool HasErrorCode(uint info) => (info & ErrorCodeValid) != 0;
}
