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

    [Fact]
    public void Shifts_count_by_their_masked_immediate_and_imul_replaces_the_record()
    {
        var a = new Iced.Intel.Assembler(64);
        a.shl(Iced.Intel.AssemblerRegisters.rdx, 64);  // masked to 0: no flag changes (SDM vol.2 SAL/SAR/SHL/SHR)
        a.shl(Iced.Intel.AssemblerRegisters.edx, 32);  // masked to 0 at 32 bits
        a.shl(Iced.Intel.AssemblerRegisters.edx, 33);  // masked to 1
        a.sar(Iced.Intel.AssemblerRegisters.rdx, 63);
        a.rol(Iced.Intel.AssemblerRegisters.rdx, 1);   // CF and OF only
        a.imul(Iced.Intel.AssemblerRegisters.rdx, Iced.Intel.AssemblerRegisters.rbx);
        var insns = Decode(a);
        var kinds = Array.ConvertAll(insns, i => InlineForms.Classify(i));
        var effects = FlagLiveness.EffectsOf(insns, kinds, insns.Length);
        Assert.Equal([FlagLiveness.FlagEffect.None, FlagLiveness.FlagEffect.None, FlagLiveness.FlagEffect.WritesAll,
            FlagLiveness.FlagEffect.WritesAll, FlagLiveness.FlagEffect.ReadsAndWrites, FlagLiveness.FlagEffect.WritesAll], effects);
        Assert.True(FlagLiveness.DeadAtEntry(effects));
        Assert.False(FlagLiveness.DeadAtEntry(effects[4..]));
        // SHL 33 is replaced by SAR before anything reads it; SAR is read by ROL (it keeps SF/ZF/PF);
        // ROL's CF/OF are replaced by IMUL.
        Assert.Equal([false, false, true, false, true, false], FlagLiveness.DeadFlagWrites(effects, liveOut: true));
    }

    static Iced.Intel.Instruction[] Decode(Iced.Intel.Assembler a)
    {
        var bytes = new List<byte>();
        a.Assemble(new Writer(bytes), 0x1000);
        var d = Iced.Intel.Decoder.Create(64, bytes.ToArray());
        d.IP = 0x1000;
        var list = new List<Iced.Intel.Instruction>();
        while (d.IP < 0x1000 + (ulong)bytes.Count) list.Add(d.Decode());
        return list.ToArray();
    }

    sealed class Writer(List<byte> bytes) : Iced.Intel.CodeWriter
    {
        public override void WriteByte(byte value) => bytes.Add(value);
    }
}
