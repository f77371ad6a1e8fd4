
namespace JitVirt.IlJit;

/// <summary>
/// Dead-flag elimination within a block. The flag record an inline instruction would write is
/// dead when, before anything can read it, a later inline ADD/SUB/AND/OR/XOR/CMP/TEST replaces
/// the whole record: those write all six status flags and read none (SDM vol.1 Appendix A,
/// Table A-2). INC/DEC read CF (they keep it), helpers and the block exit may read anything, and
/// MOV/LEA neither read nor write flags (SDM vol.2 MOV, LEA).
/// </summary>
static class FlagLiveness
{
    public static bool[] DeadFlagWrites(InlineForms.Kind[] kinds)
    {
        var dead = new bool[kinds.Length];
        bool overwrittenLater = false; // live out of the block
        for (int k = kinds.Length - 1; k >= 0; k--)
        {
            // A memory form may leave through a fault with the record before it live (InlineForms.ReadsFlags).
            if (InlineForms.IsMemory(kinds[k])) { dead[k] = InlineForms.WritesFlags(kinds[k]) && overwrittenLater; overwrittenLater = false; continue; }
            switch (kinds[k])
            {
                case InlineForms.Kind.None:
                    overwrittenLater = false;
                    break;
                case InlineForms.Kind.Binary:
                    dead[k] = overwrittenLater;
                    overwrittenLater = true;
                    break;
                case InlineForms.Kind.Inc:
                case InlineForms.Kind.Dec:
                    dead[k] = overwrittenLater;
                    overwrittenLater = false;
                    break;
            }
        }
        return dead;
    }
}
