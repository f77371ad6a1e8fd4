using Xunit;
using K = JitVirt.IlJit.InlineForms.Kind;

namespace JitVirt.IlJit.Tests;

public sealed class FlagLivenessTests
{
    [Fact]
    public void A_record_is_dead_only_when_a_full_writer_follows_before_any_reader()
    {
        // ADD; ADD; helper; INC; MOV; CMP (live out)
        var dead = FlagLiveness.DeadFlagWrites([K.Binary, K.Binary, K.None, K.Inc, K.Mov, K.Binary]);
        Assert.Equal([true, false, false, true, false, false], dead);
        // INC reads CF, so the ADD before it stays live.
        Assert.Equal([false, false], FlagLiveness.DeadFlagWrites([K.Binary, K.Inc]));
    }
}
