namespace JitVirt.SingleStep;

/// <summary>
/// The 286-vs-386+ differences that this data set exercises, each checked against the data and
/// backed by a manual. Behaviours that are the same on both (PUSH SP pushes the old SP; shift
/// counts masked to 5 bits; #DE and other faults push the faulting instruction's address, first
/// prefix included; word access at FFFFh through DS/ES/CS raises 13 on both; no 1 MB wrap with
/// A20 enabled; SALC) are deliberately not listed.
/// </summary>
public static class KnownDifferences
{
    private const byte GeneralProtectionVector = 13;

    /// <summary>Instruction length limit of the 286 (README; 80286 PRM real-mode Interrupt 13).</summary>
    public const int MaxInstructionLength286 = 10;

    public static readonly KnownDifference Flags12To15InRealMode = new(
        Id: "FLAGS-12-15-REAL-MODE",
        Forms: ["9D", "CF"],
        Behaviour286: "POPF/IRET in real mode leave FLAGS bits 12-15 (IOPL, NT, bit 15) at 0",
        Behaviour386: "POPF/IRET in real mode load IOPL and NT (bits 12-14) from the popped word",
        Reference: "Intel SDM Vol. 3A, ch. 'IA-32 Architecture Compatibility', 'EFLAGS Pushed on the Stack' " +
                   "(\"Intel 286 processor—bits 12 through 15 are always cleared in real-address mode\"); " +
                   "SDM Vol. 2B POPF (real-address mode: all flags may be modified); README 'FLAGS bits 12-15'",
        AppliesTo: static (_, c) => OnlyFlagsBits12To15Differ(c));

    public static readonly KnownDifference LockOnNonLockableInstruction = new(
        Id: "LOCK-NOT-CHECKED",
        Forms: [],
        Behaviour286: "LOCK on any instruction (register destination, MOV, POPF, LEAVE, ...) is accepted and the instruction runs",
        Behaviour386: "#UD (vector 6) when LOCK prefixes an instruction that is not a lockable read-modify-write with a memory destination",
        Reference: "Intel SDM Vol. 2A, 'LOCK—Assert LOCK# Signal Prefix' (#UD conditions); " +
                   "80286 PRM, LOCK (no #UD listed); README 'LOCK never raises #UD by itself'",
        AppliesTo: static (t, c) =>
            InstructionBytes.HasPrefix(t.Bytes, InstructionBytes.LockPrefix) && !LockPrefixRules.IsLockableOn386(t.Bytes)
            && ControlFlowDiverged(c));

    public static readonly KnownDifference InstructionLongerThan10Bytes = new(
        Id: "INSTRUCTION-LENGTH-10",
        Forms: [],
        Behaviour286: "an instruction longer than 10 bytes (stacked prefixes) faults with vector 13 before it executes",
        Behaviour386: "the limit is 15 bytes, so the same 11-15 byte instruction executes normally",
        Reference: "80286 PRM: instructions are limited to 10 bytes, exceeding it raises exception 13; " +
                   "Intel SDM Vol. 2A §2.1 'Instruction Format' (15-byte limit, #GP beyond); README 'Instructions longer than 10 bytes'",
        AppliesTo: static (t, c) =>
            t.InstructionLength > MaxInstructionLength286 && t.Exception is { Vector: GeneralProtectionVector }
            && ControlFlowDiverged(c));

    public static readonly KnownDifference StackSegmentOverrunIsVector13 = new(
        Id: "SS-OVERRUN-VECTOR-13",
        Forms: [],
        Behaviour286: "a word access at offset FFFFh through SS (BP-based operand, POP/RET/IRET/LEAVE at SP/BP=FFFFh) raises interrupt 13, like any segment overrun",
        Behaviour386: "raises #SS (vector 12) for a real-mode stack-segment limit violation (#GP 13 only for CS/DS/ES/FS/GS)",
        Reference: "80286 PRM, real address mode exceptions: 'Interrupt 13 for operand at offset 0FFFFH'; " +
                   "Intel SDM Vol. 2 instruction pages, 'Real-Address Mode Exceptions': #SS if outside the SS segment limit; " +
                   "SDM Vol. 3A ch. '8086 Emulation' (pseudo-protection faults 12 or 13); README 'A word access at offset FFFFh through SS'",
        AppliesTo: static (t, c) =>
            ControlFlowDiverged(c)
            && t.Exception is { Vector: GeneralProtectionVector }
            && t.InstructionLength <= MaxInstructionLength286
            && StackSegmentOverrun.IsStackSegmentAccessAtSegmentEnd(t));

    public static readonly KnownDifference MovToFsGs = new(
        Id: "MOV-SREG-FS-GS",
        Forms: ["8E"],
        Behaviour286: "MOV Sreg,r/m16 with ModRM.reg 4 or 5 is undefined and raises #UD (vector 6)",
        Behaviour386: "ModRM.reg 4/5 encode FS/GS, so the instruction loads FS or GS",
        Reference: "Intel SDM Vol. 2B MOV (Sreg encoding ES=0 CS=1 SS=2 DS=3 FS=4 GS=5); " +
                   "SDM Vol. 3A ch. 'IA-32 Architecture Compatibility' (FS and GS introduced with the Intel386); 80286 PRM MOV (ES, CS, SS, DS only)",
        AppliesTo: static (t, c) =>
            InstructionBytes.ModRm(t.Bytes) is { } modrm && (modrm >> 3 & 7) is 4 or 5 && ControlFlowDiverged(c));

    public static readonly KnownDifference StringIndexAdvancedBeforeFault = new(
        Id: "STRING-INDEX-BEFORE-FAULT",
        Forms: ["6C", "6D", "6E", "6F", "A4", "A5", "A6", "A7", "AA", "AB", "AC", "AD", "AE", "AF"],
        Behaviour286: "a string instruction whose word access at offset FFFFh raises interrupt 13 has already stepped SI and/or DI (and CX under REP) when the fault is taken",
        Behaviour386: "the fault is restartable: SI, DI and CX still describe the faulting element, so the instruction re-executes after the handler returns",
        Reference: "Intel SDM Vol. 3A §7.5 'Exception Classifications' (a fault is reported so that the instruction can be restarted, " +
                   "with the state as before the faulting instruction) and Vol. 1 §7.3.9.1 (an interrupted REP string instruction resumes " +
                   "at the element it was processing); the 80C286 data shows SI/DI already advanced at the vector-13 entry",
        AppliesTo: static (t, c) =>
            t.Exception is { Vector: GeneralProtectionVector } && c.Status == RealModeStatus.Ok && c.MemoryMismatches.Count == 0
            && OnlyIndexRegistersDiffer(c));

    public static IReadOnlyList<KnownDifference> All { get; } =
    [
        StringIndexAdvancedBeforeFault,
        Flags12To15InRealMode,
        LockOnNonLockableInstruction,
        InstructionLongerThan10Bytes,
        StackSegmentOverrunIsVector13,
        MovToFsGs,
    ];

    /// <summary>The first known difference that explains a failed comparison, or null.</summary>
    public static KnownDifference? Classify(SingleStepTest test, string formKey, TestComparison comparison)
    {
        var all = All;
        for (int i = 0; i < all.Count; i++)
        {
            var d = all[i];
            if (d.CoversForm(formKey) && d.AppliesTo(test, comparison)) return d;
        }
        return null;
    }

    /// <summary>
    /// The differences other than FLAGS bits 12–15 change where execution goes (a fault on one
    /// CPU, none or another vector on the other), so they can only explain a run that ended
    /// somewhere else: not Ok (e.g. Hung at an unset vector), or CS, IP or SP differ. A run that
    /// reached the right HLT but got a value wrong is a real bug, not one of these.
    /// </summary>
    private static bool ControlFlowDiverged(TestComparison c) =>
        c.Status != RealModeStatus.Ok
        || c.RegisterDiffers(RegisterId.Cs) || c.RegisterDiffers(RegisterId.Ip) || c.RegisterDiffers(RegisterId.Sp);

    private static bool OnlyIndexRegistersDiffer(TestComparison c)
    {
        int allowed = 1 << (int)RegisterId.Si | 1 << (int)RegisterId.Di | 1 << (int)RegisterId.Cx;
        return c.RegisterMismatchMask != 0 && (c.RegisterMismatchMask & ~allowed) == 0;
    }

    private static bool OnlyFlagsBits12To15Differ(TestComparison c)
    {
        if (c.Status != RealModeStatus.Ok || c.Actual is null) return false;
        if (c.RegisterMismatchMask != 1 << (int)RegisterId.Flags) return false;
        int diff = (c.Expected[RegisterId.Flags] ^ c.Actual[RegisterId.Flags]) & c.FlagsMask;
        return (diff & ~RealModeSetup.Flags286RealModeUnsupportedBits) == 0 && c.MemoryMismatches.Count == 0;
    }
}
