using System.Buffers.Binary;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Edge cases of the portable transcendental path (ExtendedTranscendentals, forced with
/// X87Transcendentals.UseHost = false) found by the oracle at large case counts; expected values
/// from the mathematics. In the native-host collection because it switches the global path.
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class SoftwareTranscendentalTests : IDisposable
{
    static readonly OracleLayout Layout = new(0x40_0000, 0x40_0C00, 0x60_0000, 4096, 0x50_0000, 4096);
    readonly JitVirtInstructionExecutor _emu = new(Layout);
    readonly bool _before = X87Transcendentals.UseHost;

    public SoftwareTranscendentalTests() => X87Transcendentals.UseHost = false;

    public void Dispose()
    {
        X87Transcendentals.UseHost = _before;
        _emu.Dispose();
    }

    /// <summary>Loads ST(1) and ST(0) (80-bit, from scratch 0x10 and 0x20) under control word <paramref name="cw"/>, runs <paramref name="op"/>, stores ST(0) to 0x30 and FSW to 0x40.</summary>
    (ushort SignExp, ulong Sig, ushort Fsw) Run(Action<Assembler> op, ushort cw, (ushort, ulong)? st1, (ushort, ulong) st0)
    {
        var a = new Assembler(64);
        a.fninit();
        if (st1 is not null) a.fld(__tword_ptr[rbx + 0x10]);
        a.fld(__tword_ptr[rbx + 0x20]);
        a.fldcw(__word_ptr[rbx]);
        op(a);
        a.fnstsw(__word_ptr[rbx + 0x40]);
        a.fstp(__tword_ptr[rbx + 0x30]);
        var w = new Writer();
        a.Assemble(w, Layout.CodeAddress64);
        var state = new OracleState(Layout);
        state.Gpr[GprIndex.Rbx] = Layout.ScratchAddress;
        var s = state.Scratch.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(s, cw);
        if (st1 is var (se1, sig1)) { BinaryPrimitives.WriteUInt64LittleEndian(s[0x10..], sig1); BinaryPrimitives.WriteUInt16LittleEndian(s[0x18..], se1); }
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x20..], st0.Item2);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x28..], st0.Item1);
        _emu.Execute(ExecutionMode.Long64, w.Bytes.ToArray(), state);
        Assert.Equal(FaultVectors.None, state.FaultVector);
        return (BinaryPrimitives.ReadUInt16LittleEndian(s[0x38..]), BinaryPrimitives.ReadUInt64LittleEndian(s[0x30..]), BinaryPrimitives.ReadUInt16LittleEndian(s[0x40..]));
    }

    const ushort Nearest = 0x037F, Down = 0x077F, TowardZero = 0x0F7F;

    /// <summary>sin x &lt; x for tiny x &gt; 0: toward zero gives x's predecessor, nearest gives x (SDM vol.1 §4.8.4 rounding).</summary>
    [Fact]
    public void Sine_of_a_tiny_argument_lies_just_below_it()
    {
        // 2^−400: x³/6 is far below the 320 bits the evaluation keeps beyond x, so the series stops at x.
        var x = ((ushort)(0x3FFF - 400), 1ul << 63);
        var r = Run(a => a.fsin(), TowardZero, null, x);
        Assert.Equal((0x3FFF - 401, ulong.MaxValue), (r.SignExp, r.Sig));
        Assert.NotEqual(0, r.Fsw & X87Bits.PE);
        r = Run(a => a.fsin(), Nearest, null, x);
        Assert.Equal((x.Item1, x.Item2), (r.SignExp, r.Sig));
    }

    /// <summary>cos x &lt; 1 for tiny x: rounding down gives 1 − 2^−64, nearest gives 1 with C1 set (rounded up).</summary>
    [Fact]
    public void Cosine_of_a_tiny_argument_lies_just_below_one()
    {
        var x = ((ushort)(0x3FFF - 400), 1ul << 63); // x²/2 vanishes beside 1 at any precision kept

        var r = Run(a => a.fcos(), Down, null, x);
        Assert.Equal((0x3FFE, ulong.MaxValue), (r.SignExp, r.Sig));
        r = Run(a => a.fcos(), Nearest, null, x);
        Assert.Equal((0x3FFF, 1ul << 63), (r.SignExp, r.Sig));
        Assert.NotEqual(0, r.Fsw & X87Bits.C1);
    }

    /// <summary>FYL2XP1 with x = −(1 − 2^−64): log2(1 + x) = −64 exactly, so 1 × −64 (x is outside the defined domain; the old series needed ~2^63 terms here).</summary>
    [Fact]
    public void Yl2xp1_near_minus_one_finishes_with_the_logarithm_of_the_tiny_sum()
    {
        var r = Run(a => a.fyl2xp1(), Nearest, (0x3FFF, 1ul << 63), (0xBFFE, ulong.MaxValue));
        Assert.Equal((0xC005, 1ul << 63), (r.SignExp, r.Sig)); // −64 = −1.0 × 2^6
    }

    /// <summary>±0 × log2 x is an exact zero with the sign of the product, even for an x beyond binary64's range.</summary>
    [Fact]
    public void Yl2x_of_a_zero_multiplier_is_a_signed_zero()
    {
        var huge = ((ushort)0x7FEA, 0xFC4F_593C_0000_0000ul);
        var r = Run(a => a.fyl2x(), Nearest, (0x8000, 0), huge);
        Assert.Equal((0x8000, 0ul), (r.SignExp, r.Sig));
        var half = ((ushort)0x3FFE, 1ul << 63); // log2 ½ = −1: −0 × −1 = +0
        r = Run(a => a.fyl2x(), Nearest, (0x8000, 0), half);
        Assert.Equal((0x0000, 0ul), (r.SignExp, r.Sig));
    }

    /// <summary>−∞ × log2(1 + x) for a tiny negative x (below binary64's range) is +∞ (SDM vol.2 FYL2XP1 table: −∞ times a negative logarithm).</summary>
    [Fact]
    public void Yl2xp1_of_an_infinite_multiplier_and_a_tiny_x_is_infinite()
    {
        var r = Run(a => a.fyl2xp1(), Nearest, (0xFFFF, 1ul << 63), (0x801C, 0xB800_0000_0000_0000));
        Assert.Equal((0x7FFF, 1ul << 63), (r.SignExp, r.Sig));
        Assert.Equal(0, r.Fsw & X87Bits.IE);
    }

    /// <summary>
    /// Operands beyond binary64's range decide by their class, not by a binary64 image: a denormal
    /// y times log2(+∞) is ∞ with y's sign; log2 of a negative denormal is invalid (the indefinite, IE).
    /// </summary>
    [Fact]
    public void Yl2x_decides_special_results_by_operand_class()
    {
        var r = Run(a => a.fyl2x(), Nearest, (0x8000, 0x0000_0000_0000_0001), (0x7FFF, 1ul << 63));
        Assert.Equal((0xFFFF, 1ul << 63), (r.SignExp, r.Sig));
        r = Run(a => a.fyl2x(), Nearest, (0x3FFF, 1ul << 63), (0x8000, 0x0000_0000_0000_0001));
        Assert.Equal((0xFFFF, 0xC000_0000_0000_0000), (r.SignExp, r.Sig));
        Assert.NotEqual(0, r.Fsw & X87Bits.IE);
    }

    sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
