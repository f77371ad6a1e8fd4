namespace JitVirt.Vmx;

/// <summary>Exit-qualification builders (SDM vol.3C §28.2.1, Tables 28-1 to 28-5).</summary>
public static class ExitQualification
{
    /// <summary>I/O (Table 28-5): 2:0 size−1, 3 direction (1 = IN), 4 string, 5 REP, 6 operand encoding (1 = immediate), 31:16 port.</summary>
    public static ulong Io(int size, bool isIn, bool isString, bool rep, bool immediate, ushort port)
        => (uint)(size - 1) | (isIn ? 1ul << 3 : 0) | (isString ? 1ul << 4 : 0) | (rep ? 1ul << 5 : 0)
         | (immediate ? 1ul << 6 : 0) | ((ulong)port << 16);

    /// <summary>Control-register access types, bits 5:4 (Table 28-3).</summary>
    public const int MovToCr = 0, MovFromCr = 1, Clts = 2, Lmsw = 3;

    /// <summary>CR access (Table 28-3): 3:0 CR number, 5:4 access type, 6 LMSW operand (1 = memory), 11:8 GPR, 31:16 LMSW source.</summary>
    public static ulong CrAccess(int cr, int accessType, int gpr = 0, bool lmswMemory = false, ushort lmswSource = 0)
        => (uint)cr | ((uint)accessType << 4) | (lmswMemory ? 1ul << 6 : 0) | ((ulong)(uint)gpr << 8) | ((ulong)lmswSource << 16);

    /// <summary>MOV DR (Table 28-4): 2:0 DR number, 4 direction (1 = MOV from DR), 11:8 GPR.</summary>
    public static ulong DrAccess(int dr, bool fromDr, int gpr) => (uint)dr | (fromDr ? 1ul << 4 : 0) | ((ulong)(uint)gpr << 8);

    /// <summary>Task-switch sources, bits 31:30 (Table 28-2).</summary>
    public const int TaskSwitchCall = 0, TaskSwitchIret = 1, TaskSwitchJmp = 2, TaskSwitchIdt = 3;

    /// <summary>Task switch (Table 28-2): 15:0 the new TSS selector, 31:30 the source.</summary>
    public static ulong TaskSwitch(ushort selector, int source) => selector | ((ulong)(uint)source << 30);
}
