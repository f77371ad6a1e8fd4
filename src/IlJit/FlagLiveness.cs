namespace JitVirt.IlJit;

/// <summary>
/// Dead-flag elimination. The flag record an inline instruction would write is dead when, before
/// anything can read it, a later inline ADD/SUB/AND/OR/XOR/CMP/TEST replaces the whole record:
/// those write all six status flags and read none (SDM vol.1 Appendix A, Table A-2). INC/DEC read
/// CF (they keep it), helpers may read anything, and MOV/LEA neither read nor write flags (SDM
/// vol.2 MOV, LEA). What each inline kind does to the record is <see cref="EffectOf"/>: a kind it
/// does not know is a <see cref="FlagEffect.Barrier"/>, so new inline kinds are safe before they
/// are described there.
/// <para>
/// The end of every block counts as a reader, also inside a region: each internal edge can leave
/// the region (the instruction budget ran out, or an interrupt or a front-end exit is pending), and
/// whatever runs next — event delivery pushing RFLAGS, a VM exit saving it — reads the flags the
/// guest had there. Eliminating a write across an edge would need the record rebuilt on that exit
/// path; decision 0010 says what that would take.
/// </para>
/// </summary>
static class FlagLiveness
{
    /// <summary>What an inline instruction does to the lazy flag record.</summary>
    public enum FlagEffect : byte
    {
        /// <summary>May read any flag (a helper, a conditional jump, an unknown kind).</summary>
        Barrier,
        /// <summary>Neither reads nor writes flags.</summary>
        None,
        /// <summary>Replaces the whole record without reading it.</summary>
        WritesAll,
        /// <summary>Writes the record from the old one (INC/DEC keep CF).</summary>
        ReadsAndWrites,
    }

    public static FlagEffect EffectOf(InlineForms.Kind kind) => kind switch
    {
        InlineForms.Kind.Mov or InlineForms.Kind.Lea => FlagEffect.None,
        InlineForms.Kind.Binary => FlagEffect.WritesAll,
        InlineForms.Kind.Inc or InlineForms.Kind.Dec => FlagEffect.ReadsAndWrites,
        // A memory form may leave through its handler (a fault, a pending event) with the record
        // before it live (InlineForms.ReadsFlags); the ALU ones then replace it.
        _ when InlineForms.IsMemory(kind) => InlineForms.WritesFlags(kind) ? FlagEffect.ReadsAndWrites : FlagEffect.Barrier,
        _ => FlagEffect.Barrier,
    };

    /// <summary>Dead writes in one block whose flags are live at its end.</summary>
    public static bool[] DeadFlagWrites(InlineForms.Kind[] kinds) => DeadFlagWrites(Array.ConvertAll(kinds, EffectOf), liveOut: true);

    /// <summary>Dead writes in a sequence of effects; <paramref name="liveOut"/>: something may read the flags after it.</summary>
    public static bool[] DeadFlagWrites(FlagEffect[] effects, bool liveOut)
    {
        var dead = new bool[effects.Length];
        bool overwrittenLater = !liveOut;
        for (int k = effects.Length - 1; k >= 0; k--)
        {
            switch (effects[k])
            {
                case FlagEffect.Barrier:
                    overwrittenLater = false;
                    break;
                case FlagEffect.WritesAll:
                    dead[k] = overwrittenLater;
                    overwrittenLater = true;
                    break;
                case FlagEffect.ReadsAndWrites:
                    dead[k] = overwrittenLater;
                    overwrittenLater = false;
                    break;
            }
        }
        return dead;
    }
}
