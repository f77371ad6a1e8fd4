namespace JitVirt.NativeOracle;

/// <summary>
/// The linear addresses an executor uses. Every generated case refers to these addresses (memory
/// operands point into the scratch block, RSP into the stack block), so an emulator-side executor must
/// map the same ranges: code slot (read/execute), stack and scratch (read/write). Everything else —
/// in particular the pages directly below and above the stack and the scratch block — must be unmapped,
/// because the native executor surrounds them with guard pages.
/// </summary>
/// <remarks>All addresses are below 2 GiB so that they fit a sign-extended disp32 and a
/// compatibility-mode EIP (SDM vol. 1 §3.3.7 and vol. 3A §5.3).</remarks>
/// <param name="CodeAddress64">Linear address where 64-bit mode instruction bytes are placed.</param>
/// <param name="CodeAddress32">Linear address where compatibility-mode instruction bytes are placed.</param>
/// <param name="ScratchAddress">Start of the read/write scratch block used by memory operands.</param>
/// <param name="ScratchSize">Size of the scratch block in bytes.</param>
/// <param name="StackAddress">Lowest address of the read/write stack block.</param>
/// <param name="StackSize">Size of the stack block in bytes.</param>
public sealed record OracleLayout(
    ulong CodeAddress64,
    ulong CodeAddress32,
    ulong ScratchAddress,
    int ScratchSize,
    ulong StackAddress,
    int StackSize)
{
    /// <summary>Largest instruction sequence an executor must accept in its code slot.</summary>
    public const int MaxCodeLength = 256;

    /// <summary>One past the highest stack byte: the initial RSP of an empty stack.</summary>
    public ulong StackTop => StackAddress + (ulong)StackSize;

    /// <summary>The RSP generated cases start with: the middle of the stack block, so that both
    /// pushes and pops (PUSHAD/POPAD move 32 bytes) stay inside it.</summary>
    public ulong InitialStackPointer => StackAddress + (ulong)(StackSize / 2);

    /// <summary>The address of the code slot for <paramref name="mode"/>.</summary>
    public ulong CodeAddress(ExecutionMode mode) => mode == ExecutionMode.Long64 ? CodeAddress64 : CodeAddress32;

    /// <summary>True when [<paramref name="address"/>, +<paramref name="length"/>) lies inside the scratch block.</summary>
    public bool IsInScratch(ulong address, int length) =>
        address >= ScratchAddress && address + (ulong)length <= ScratchAddress + (ulong)ScratchSize;
}
