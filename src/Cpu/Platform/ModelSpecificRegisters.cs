using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Platform;

/// <summary>The time-stamp counter's time base (the machine will supply a virtual clock).</summary>
public interface ITimeStampSource
{
    /// <summary>A monotonic count; the TSC is this plus the offset a WRMSR to IA32_TIME_STAMP_COUNTER sets.</summary>
    ulong Now(Cpu cpu);
}

/// <summary>Default time base: one tick per retired instruction.</summary>
public sealed class RetiredInstructionTimeSource : ITimeStampSource
{
    public static readonly RetiredInstructionTimeSource Instance = new();
    public ulong Now(Cpu cpu) => (ulong)cpu.InstructionsRetired;
}

/// <summary>
/// RDMSR/WRMSR storage and semantics for a 2006-era x86-64 part (SDM vol.4 ch.2, Table 2-2
/// "IA-32 Architectural MSRs"; APM vol.2 Appendix A). Each MSR is one row of a table
/// (<c>ModelSpecificRegisters.Table.cs</c>) with its manual section; an index not in the table,
/// a write of a reserved bit, or a write the register refuses makes the caller raise #GP(0).
/// </summary>
public sealed partial class ModelSpecificRegisters
{
    readonly Cpu _cpu;
    public ModelSpecificRegisters(Cpu cpu) { _cpu = cpu; BuildTable(); }

    /// <summary>Resets the MSRs to their power-on values.</summary>
    public void Reset() { ResetCore(); }

    public ITimeStampSource TimeSource { get; set; } = RetiredInstructionTimeSource.Instance;

    /// <summary>Raised after a successful write of IA32_APIC_BASE (the local APIC relocates/enables itself).</summary>
    public event Action<ulong>? ApicBaseChanged;

    // ---- storage
    long _tscOffset;
    public ulong ApicBase, FeatureControl, MiscEnable, McgStatus, BiosSignId;
    public ulong SysenterCs, SysenterEsp, SysenterEip;
    public ulong Star, Lstar, Cstar, Sfmask, KernelGsBase, TscAux;
    public ulong Pat, MtrrDefType;
    public readonly ulong[] MtrrVariable = new ulong[16]; // PHYSBASE0, PHYSMASK0, ... PHYSMASK7
    public readonly ulong[] MtrrFixed = new ulong[11];    // 64K_00000, 16K_80000, 16K_A0000, 4K_C0000 ... 4K_F8000

    /// <summary>The time-stamp counter now (SDM vol.3 §19.17).</summary>
    public ulong Tsc
    {
        get => TimeSource.Now(_cpu) + (ulong)_tscOffset;
        set => _tscOffset = (long)(value - TimeSource.Now(_cpu));
    }

    /// <summary>IA32_APIC_BASE reset: base 0xFEE00000, BSP (bit 8), APIC global enable (bit 11) (SDM vol.3 §12.4.4).</summary>
    public const ulong ApicBaseReset = 0xFEE0_0900;
    /// <summary>IA32_PAT reset value (SDM vol.3 §13.12.4, Table 13-12).</summary>
    public const ulong PatReset = 0x0007_0406_0007_0406;

    void ResetCore()
    {
        _tscOffset = -(long)TimeSource.Now(_cpu);
        ApicBase = ApicBaseReset;
        FeatureControl = 0;
        MiscEnable = MiscEnableReset;
        McgStatus = 0;
        BiosSignId = 0;
        SysenterCs = SysenterEsp = SysenterEip = 0;
        Star = Lstar = Cstar = Sfmask = KernelGsBase = TscAux = 0;
        Pat = PatReset;
        MtrrDefType = 0;
        Array.Clear(MtrrVariable);
        Array.Clear(MtrrFixed);
        _cpu.ResetSystemExtras();
    }

    /// <summary>Reads MSR <paramref name="index"/>; false if it does not exist (the caller raises #GP(0)).</summary>
    public bool TryRead(uint index, out ulong value)
    {
        if (_table.TryGetValue(index, out var msr)) { value = msr.Read(); return true; }
        value = 0;
        return false;
    }

    /// <summary>Writes MSR <paramref name="index"/>; false if it does not exist or refuses the value (#GP(0)).</summary>
    public bool TryWrite(uint index, ulong value)
        => _table.TryGetValue(index, out var msr) && msr.Write is { } w && w(value);

    /// <summary>True when <paramref name="index"/> names an implemented MSR.</summary>
    public bool Exists(uint index) => _table.ContainsKey(index);

    /// <summary>Every implemented MSR, for diagnostics and tests.</summary>
    public IEnumerable<MsrDefinition> Definitions => _table.Values.OrderBy(d => d.Index);

    ulong ReadEfer() => _cpu.Efer;

    /// <summary>
    /// IA32_EFER (SDM vol.3 §2.2.1; vol.4 Table 2-2): SCE, LME, NXE writable (SVME when SVM is
    /// advertised); LMA is read-only (a write keeps it); LME may change only while paging is off.
    /// </summary>
    bool WriteEfer(ulong value)
    {
        ulong writable = Efer.SCE | Efer.LME | Efer.NXE | (_cpu.Cpuid.Svm ? Efer.SVME : 0);
        if ((value & ~(writable | Efer.LMA)) != 0) return false;
        ulong old = _cpu.Efer;
        if (((old ^ value) & Efer.LME) != 0 && _cpu.IsPagingEnabled) return false;
        _cpu.Efer = (value & writable) | (old & Efer.LMA);
        if (((old ^ _cpu.Efer) & Efer.NXE) != 0) _cpu.FlushTlb();
        return true;
    }
}
