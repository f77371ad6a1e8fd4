using JitVirt.Machine.Devices.Apic;

namespace JitVirt.Machine.Pc;

/// <summary>
/// The MSRs and CR8 the machine (not the core) owns: IA32_APIC_BASE (1Bh) and IA32_TSC_DEADLINE (6E0h)
/// go to the local APIC (SDM vol.4 Table 2-2; vol.3 §11.4.4, §11.5.4.1), CR8 is the APIC's TPR[7:4]
/// (SDM vol.3 §11.8.6.1).
/// </summary>
/// <remarks>
/// TODO(fam-system): the core has no RDMSR/WRMSR or MOV CR8 hook yet (<c>ModelSpecificRegisters</c> is an
/// empty partial). When it exposes one (e.g. <c>Msrs.ReadHook</c>/<c>WriteHook</c> delegates returning
/// "handled", and a CR8 read/write pair), <see cref="PcMachine"/> wires <see cref="TryRead"/>,
/// <see cref="TryWrite"/>, <see cref="ReadCr8"/> and <see cref="WriteCr8"/> to it in <c>WireCpuHooks</c>.
/// </remarks>
public sealed class ApicMsrBridge(LocalApic apic)
{
    public const uint Ia32ApicBase = ApicBaseMsr.MsrIndex;
    public const uint Ia32TscDeadline = 0x6E0;

    /// <summary>RDMSR for an MSR the machine owns; false when the MSR is not one of them.</summary>
    public bool TryRead(uint msr, out ulong value)
    {
        switch (msr)
        {
            case Ia32ApicBase: value = apic.ReadApicBaseMsr(); return true;
            case Ia32TscDeadline: value = apic.ReadTscDeadlineMsr(); return true;
            default: value = 0; return false;
        }
    }

    /// <summary>
    /// WRMSR for an MSR the machine owns. Returns null when the MSR is not one of them, false when the
    /// value is invalid (the core raises #GP(0)), true when written.
    /// </summary>
    public bool? TryWrite(uint msr, ulong value) => msr switch
    {
        Ia32ApicBase => apic.TryWriteApicBaseMsr(value),
        Ia32TscDeadline => WriteTscDeadline(value),
        _ => null,
    };

    public ulong ReadCr8() => apic.ReadCr8();

    public void WriteCr8(ulong value) => apic.WriteCr8(value);

    private bool WriteTscDeadline(ulong value)
    {
        apic.WriteTscDeadlineMsr(value);
        return true;
    }
}
