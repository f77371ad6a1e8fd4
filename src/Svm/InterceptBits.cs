namespace JitVirt.Svm;

/// <summary>
/// The first instruction/event intercept vector, VMCB offset 0x00C (AMD APM vol.2 §15.9, Table B-1).
/// Bit n's #VMEXIT code is 0x60 + n (<see cref="SvmExitCode"/>).
/// </summary>
[Flags]
public enum InterceptWord1 : uint
{
    None = 0,
    Intr = 1u << 0,
    Nmi = 1u << 1,
    Smi = 1u << 2,
    Init = 1u << 3,
    Vintr = 1u << 4,
    Cr0SelectiveWrite = 1u << 5,
    IdtrRead = 1u << 6,
    GdtrRead = 1u << 7,
    LdtrRead = 1u << 8,
    TrRead = 1u << 9,
    IdtrWrite = 1u << 10,
    GdtrWrite = 1u << 11,
    LdtrWrite = 1u << 12,
    TrWrite = 1u << 13,
    Rdtsc = 1u << 14,
    Rdpmc = 1u << 15,
    Pushf = 1u << 16,
    Popf = 1u << 17,
    Cpuid = 1u << 18,
    Rsm = 1u << 19,
    Iret = 1u << 20,
    Intn = 1u << 21,
    Invd = 1u << 22,
    Pause = 1u << 23,
    Hlt = 1u << 24,
    Invlpg = 1u << 25,
    Invlpga = 1u << 26,
    IoioProt = 1u << 27,
    MsrProt = 1u << 28,
    TaskSwitch = 1u << 29,
    FerrFreeze = 1u << 30,
    Shutdown = 1u << 31,
}

/// <summary>The second intercept vector, VMCB offset 0x010; bit n's exit code is 0x80 + n (APM vol.2 Table B-1).</summary>
[Flags]
public enum InterceptWord2 : uint
{
    None = 0,
    /// <summary>Must be set or VMRUN fails its consistency checks (APM vol.2 §15.5.1).</summary>
    Vmrun = 1u << 0,
    Vmmcall = 1u << 1,
    Vmload = 1u << 2,
    Vmsave = 1u << 3,
    Stgi = 1u << 4,
    Clgi = 1u << 5,
    Skinit = 1u << 6,
    Rdtscp = 1u << 7,
    Icebp = 1u << 8,
    Wbinvd = 1u << 9,
    Monitor = 1u << 10,
    Mwait = 1u << 11,
    MwaitArmed = 1u << 12,
    Xsetbv = 1u << 13,
}
