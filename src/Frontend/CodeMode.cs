namespace JitVirt.Frontend;

/// <summary>
/// The facts about the current CPU mode that change how bytes decode: the default code size
/// (CS.D / CS.L, SDM vol.3 §3.4.5 and §5.2.1). Decoded blocks are keyed by it.
/// </summary>
public enum CodeMode : byte
{
    Bits16 = 16,
    Bits32 = 32,
    Bits64 = 64,
}
