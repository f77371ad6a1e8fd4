namespace JitVirt.NativeOracle.Native;

/// <summary>
/// Offsets inside one executor's mapping. Each block sits on its own 4 KiB page (SDM vol. 3A §4.5:
/// protection is per page) so that stack and scratch are surrounded by inaccessible guard pages and a
/// stray access faults (#PF) instead of corrupting the stubs or the state block.
/// </summary>
internal static class ExecutorRegion
{
    public const int PageSize = 0x1000;

    // Page 0: code (read/write/execute).
    public const int Enter64 = 0x000;
    public const int Exit64 = 0x200;
    public const int Enter32 = 0x400;
    public const int Exit32 = 0x600;
    public const int Slot64 = 0x800;
    public const int Slot32 = 0xC00;
    public const int SlotCapacity = 0x400;
    public const int StubCapacity = 0x200;
    public const int CodeEnd = PageSize;

    // Page 1: state block (read/write).
    public const int State = 0x1000;
    // Page 2: guard.
    // Page 3: stack (read/write).
    public const int Stack = 0x3000;
    public const int StackSize = PageSize;
    // Page 4: guard.
    // Page 5: scratch (read/write).
    public const int Scratch = 0x5000;
    public const int ScratchSize = PageSize;
    // Page 6: guard.
    public const int Size = 0x7000;

    /// <summary>Bases tried first (MAP_FIXED_NOREPLACE) so that addresses — and therefore generated
    /// cases — are the same from run to run; 64 KiB apart so several executors can coexist.</summary>
    public const ulong PreferredBase = 0x5F00_0000;
    public const ulong PreferredStride = 0x1_0000;
    public const int PreferredAttempts = 64;

    /// <summary>Highest address usable: compatibility mode EIP and disp32 both need &lt; 2 GiB.</summary>
    public const ulong AddressLimit = 0x8000_0000;
}

/// <summary>Field offsets inside the state block the stubs and the signal handler share.</summary>
internal static class StateBlock
{
    public const int Gpr = 0;              // 16 × 8
    public const int Rflags = 128;
    public const int Mxcsr = 136;          // 4
    public const int HostMxcsr = 140;      // 4
    public const int HostRsp = 144;
    public const int FarPointer = 152;     // m16:32 used by the compatibility-mode entry: offset 4, selector 2
    public const int HostDs = 160;         // 2
    public const int HostEs = 162;         // 2
    public const int HostFcw = 164;        // 2: the caller's x87 control word
    public const int Signal = 168;         // 0 = no fault
    public const int TrapNumber = 176;
    public const int ErrorCode = 184;
    public const int Cr2 = 192;
    public const int FaultRip = 200;
    public const int RecoverRip = 208;     // where the signal handler resumes (the mode's exit stub)
    public const int Xmm = 256;            // 16 × 16
    public const int Size = 512;
}
