namespace JitVirt.SingleStep;

/// <summary>Read access to the emulator's flat memory after a test ran.</summary>
public interface IMemoryReadback
{
    /// <summary>The byte at a 24-bit linear address.</summary>
    byte ReadByte(uint linearAddress);
}
