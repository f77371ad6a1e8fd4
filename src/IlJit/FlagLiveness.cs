using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Dead-flag elimination. The flag record an inline instruction would write is dead when, before
/// anything can read it, a later inline instruction replaces the whole record: ADD/SUB/AND/OR/XOR/
/// CMP/TEST, SHL/SAL/SHR/SAR by a non-zero count and IMUL write all six status flags and read none
/// (SDM vol.1 Appendix A, Table A-2; vol.2 SAL/SAR/SHL/SHR "Flags Affected": a zero count affects
/// no flag; IMUL: SF ZF AF PF undefined, which the semantics fix, so the whole record is replaced).
/// INC/DEC read CF (they keep it), ROL/ROR write only CF and OF, helpers may read anything, and
/// MOV/LEA neither read nor write flags (SDM vol.2 MOV, LEA). What each inline instruction does to
/// the record is <see cref="EffectOf(in Instruction, InlineForms.Kind)"/>: a kind it does not know
/// is a <see cref="FlagEffect.Barrier"/>, so new inline kinds are safe before they are described there.
/// <para>
/// The end of a block counts as a reader, also inside a region: each internal edge can leave the
/// region (the instruction budget ran out, or an interrupt or a front-end exit is pending), and
/// whatever runs next — event delivery pushing RFLAGS, a VM exit saving it — reads the flags the
/// guest had there. Where every successor is a member that replaces the record before reading it
/// (<see cref="DeadAtEntry"/>), the region compiler writes the last record on the leaving paths
/// only (<see cref="DeferredFlagRecord"/>) and calls <see cref="DeadFlagWrites(FlagEffect[], bool)"/>
/// with the end not live.
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
        InlineForms.Kind.Binary or InlineForms.Kind.Multiply => FlagEffect.WritesAll,
        InlineForms.Kind.Inc or InlineForms.Kind.Dec => FlagEffect.ReadsAndWrites,
        // A memory form may leave through its handler (a fault, a pending event) with the record
        // before it live (InlineForms.ReadsFlags); the ALU ones then replace it.
        _ when InlineForms.IsMemory(kind) => InlineForms.WritesFlags(kind) ? FlagEffect.ReadsAndWrites : FlagEffect.Barrier,
        _ => FlagEffect.Barrier,
    };

    /// <summary>
    /// What <paramref name="i"/>, classified as <paramref name="kind"/>, does to the record: as
    /// <see cref="EffectOf(InlineForms.Kind)"/>, with a shift's effect from its immediate count,
    /// masked as the handler masks it (SDM vol.2 SAL/SAR/SHL/SHR: to 5 bits, 6 with REX.W).
    /// </summary>
    public static FlagEffect EffectOf(in Instruction i, InlineForms.Kind kind)
    {
        if (kind != InlineForms.Kind.Shift) return EffectOf(kind);
        int count = (int)(i.GetImmediate(1) & (i.Op0Register.IsGPR64() ? 0x3Fu : 0x1Fu));
        if (count == 0) return FlagEffect.None;
        return i.Mnemonic is Mnemonic.Rol or Mnemonic.Ror ? FlagEffect.ReadsAndWrites : FlagEffect.WritesAll;
    }

    /// <summary>The effects of the first <paramref name="count"/> instructions of a block.</summary>
    public static FlagEffect[] EffectsOf(Instruction[] insns, InlineForms.Kind[] kinds, int count)
    {
        var effects = new FlagEffect[count];
        for (int k = 0; k < count; k++) effects[k] = EffectOf(insns[k], kinds[k]);
        return effects;
    }

    /// <summary>
    /// True when the record a block is entered with is replaced before anything can read it or
    /// leave: the first effect other than <see cref="FlagEffect.None"/> (which only MOV, LEA and
    /// zero-count shifts of registers have: they cannot leave) is <see cref="FlagEffect.WritesAll"/>.
    /// </summary>
    public static bool DeadAtEntry(FlagEffect[] effects)
    {
        foreach (var e in effects)
            if (e != FlagEffect.None) return e == FlagEffect.WritesAll;
        return false;
    }

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
