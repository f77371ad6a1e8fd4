using JitVirt.Cpu.Tests.Support;
using System.Text;
using Iced.Intel;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// x87 user-mode sequences compared with the host through memory (the oracle carries no x87
/// state): FNINIT, FLDCW with a random precision/rounding control (exceptions masked), loads of
/// random fp32/fp64/fp80/integer operands from scratch, one operation, then FSTP m80 of the
/// result(s) and FNSTSW into scratch. The 80-bit results and the status word must match exactly.
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class X87OracleTests(ITestOutputHelper output)
{
    const int Cw = 0x200, Sw = 0x210, Out = 0x220, In = 0x000;

    delegate void Body(Assembler a, Random rng);

    static readonly (string Name, Body Emit)[] Operations =
    {
        ("fadd", (a, r) => { LoadTwo(a, r); a.faddp(st1, st0); }),
        ("fsub", (a, r) => { LoadTwo(a, r); a.fsubp(st1, st0); }),
        ("fsubr", (a, r) => { LoadTwo(a, r); a.fsubrp(st1, st0); }),
        ("fmul", (a, r) => { LoadTwo(a, r); a.fmulp(st1, st0); }),
        ("fdiv", (a, r) => { LoadTwo(a, r); a.fdivp(st1, st0); }),
        ("fdivr", (a, r) => { LoadTwo(a, r); a.fdivrp(st1, st0); }),
        ("fadd m64", (a, r) => { LoadOne(a, r); a.fadd(__qword_ptr[rbx + 0x40]); }),
        ("fmul m32", (a, r) => { LoadOne(a, r); a.fmul(__dword_ptr[rbx + 0x50]); }),
        ("fidiv m32", (a, r) => { LoadOne(a, r); a.fidiv(__dword_ptr[rbx + 0x58]); }),
        ("fisub m16", (a, r) => { LoadOne(a, r); a.fisub(__word_ptr[rbx + 0x5C]); }),
        ("fsqrt", (a, r) => { LoadOne(a, r); a.fsqrt(); }),
        ("frndint", (a, r) => { LoadOne(a, r); a.frndint(); }),
        ("fprem", (a, r) => { LoadTwo(a, r); a.fxch(st0, st1); a.fprem(); a.fxch(st0, st1); a.fstp(st0); }),
        ("fprem1", (a, r) => { LoadTwo(a, r); a.fxch(st0, st1); a.fprem1(); a.fxch(st0, st1); a.fstp(st0); }),
        ("fscale", (a, r) => { LoadTwo(a, r); a.fscale(); a.fxch(st0, st1); a.fstp(st0); }),
        ("fxtract", (a, r) => { LoadOne(a, r); a.fxtract(); a.fstp(__tword_ptr[rbx + Out + 0x10]); }),
        ("fchs fabs", (a, r) => { LoadOne(a, r); a.fchs(); a.fabs(); }),
        ("fcom", (a, r) => { LoadTwo(a, r); a.fcom(st0, st1); a.fnstsw(__word_ptr[rbx + Sw + 2]); a.fstp(st0); }),
        ("fucomp", (a, r) => { LoadTwo(a, r); a.fucomp(st0, st1); }),
        ("ftst fxam", (a, r) => { LoadOne(a, r); a.ftst(); a.fnstsw(__word_ptr[rbx + Sw + 2]); a.fxam(); }),
        ("fcomi fcmov", (a, r) => { LoadTwo(a, r); a.fcomi(st0, st1); a.fcmovbe(st0, st1); a.fucomi(st0, st1); a.fcmovnu(st0, st1); }),
        ("fst m32", (a, r) => { LoadOne(a, r); a.fst(__dword_ptr[rbx + Out + 0x10]); }),
        ("fst m64", (a, r) => { LoadOne(a, r); a.fst(__qword_ptr[rbx + Out + 0x10]); }),
        ("fist m16", (a, r) => { LoadOne(a, r); a.fist(__word_ptr[rbx + Out + 0x10]); }),
        ("fist m32", (a, r) => { LoadOne(a, r); a.fist(__dword_ptr[rbx + Out + 0x10]); }),
        ("fistp m64", (a, r) => { LoadOne(a, r); a.fld(st0); a.fistp(__qword_ptr[rbx + Out + 0x10]); }),
        ("fbstp", (a, r) => { LoadOne(a, r); a.fld(st0); a.fbstp(__tword_ptr[rbx + Out + 0x10]); }),
        ("fild fbld", (a, r) => { a.fild(__qword_ptr[rbx + 0x60]); a.fbld(__tword_ptr[rbx + 0x70]); a.faddp(st1, st0); }),
        ("fld consts", (a, r) => { a.fldpi(); a.fldl2e(); a.faddp(st1, st0); a.fldl2t(); a.faddp(st1, st0); a.fldlg2(); a.faddp(st1, st0); a.fldln2(); a.faddp(st1, st0); }),
        ("overflow", (a, r) => { for (int k = 0; k < 9; k++) a.fld1(); a.fstp(__tword_ptr[rbx + Out + 0x10]); for (int k = 0; k < 7; k++) a.fstp(st0); }),
    };

    /// <summary>Loads one random operand (fp32, fp64 or fp80 chosen by the case) into ST(0).</summary>
    static void LoadOne(Assembler a, Random r)
    {
        switch (r.Next(3))
        {
            case 0: a.fld(__dword_ptr[rbx + In]); break;
            case 1: a.fld(__qword_ptr[rbx + In]); break;
            default: a.fld(__tword_ptr[rbx + In + 0x20]); break;
        }
    }

    static void LoadTwo(Assembler a, Random r)
    {
        switch (r.Next(3))
        {
            case 0: a.fld(__dword_ptr[rbx + In]); a.fld(__dword_ptr[rbx + In + 4]); break;
            case 1: a.fld(__qword_ptr[rbx + In]); a.fld(__qword_ptr[rbx + In + 8]); break;
            default: a.fld(__tword_ptr[rbx + In + 0x20]); a.fld(__tword_ptr[rbx + In + 0x30]); break;
        }
    }

    [Fact]
    public void X87ResultsAndStatusMatchTheHost()
    {
        if (!NativeExecutor.IsSupported) return;
        using var native = new NativeExecutor();
        using var emu = new JitVirtInstructionExecutor(native.Layout);
        var layout = native.Layout;
        int cases = int.TryParse(System.Environment.GetEnvironmentVariable("JITVIRT_X87_CASES"), out int n) ? n : 150, total = 0, mismatches = 0;
        var failures = new StringBuilder();
        foreach (var (name, emit) in Operations)
        {
            var rng = new Random(name.GetHashCode(StringComparison.Ordinal) ^ 0x87);
            var perOp = 0;
            for (int k = 0; k < cases; k++)
            {
                var a = new Assembler(64);
                a.fninit();
                a.fldcw(__word_ptr[rbx + Cw]);
                emit(a, rng);
                a.fstp(__tword_ptr[rbx + Out]);
                a.fnstsw(__word_ptr[rbx + Sw]);
                a.fninit();
                var code = Assemble(a, layout.CodeAddress64);
                var state = new OracleState(layout);
                state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
                FillOperands(state.Scratch, rng);
                ushort pc = (ushort)(new[] { 0, 2, 3 }[rng.Next(3)] << 8);
                ushort rc = (ushort)(rng.Next(4) << 10);
                BitConverter.TryWriteBytes(state.Scratch.AsSpan(Cw), (ushort)(0x3F | pc | rc | 0x40));
                var expected = state.Clone();
                native.Execute(ExecutionMode.Long64, code, expected);
                var actual = state.Clone();
                emu.Execute(ExecutionMode.Long64, code, actual);
                total++;
                string? diff = Diff(expected, actual);
                if (diff is null) continue;
                mismatches++;
                if (perOp++ < 2 && failures.Length < 40000)
                    failures.Append($"{name} (fcw {0x7F | pc | rc:X4}): in={Convert.ToHexString(state.Scratch, 0, 0x80)}\n{diff}\n");
            }
        }
        output.WriteLine($"{total} x87 cases, {mismatches} mismatches");
        Assert.True(mismatches == 0, $"{mismatches} of {total} mismatched:\n{failures}");
    }

    static string? Diff(OracleState e, OracleState a)
    {
        var sb = new StringBuilder();
        if (e.FaultVector != a.FaultVector) sb.Append($"  fault: expected {FaultVectors.Name(e.FaultVector)} actual {FaultVectors.Name(a.FaultVector)}\n");
        for (int k = 0x200; k < 0x240; k++)
            if (e.Scratch[k] != a.Scratch[k])
            {
                sb.Append($"  scratch {k:X}..: expected {Convert.ToHexString(e.Scratch, k & ~0xF, 16)} actual {Convert.ToHexString(a.Scratch, k & ~0xF, 16)}\n");
                k |= 0xF;
            }
        return sb.Length == 0 ? null : sb.ToString();
    }

    static void FillOperands(byte[] s, Random rng)
    {
        BitConverter.TryWriteBytes(s.AsSpan(0), SseOracleTests.RandomSingle(rng));
        BitConverter.TryWriteBytes(s.AsSpan(4), SseOracleTests.RandomSingle(rng));
        if (rng.Next(2) == 0) BitConverter.TryWriteBytes(s.AsSpan(0), SseOracleTests.RandomDouble(rng));
        if (rng.Next(2) == 0) BitConverter.TryWriteBytes(s.AsSpan(8), SseOracleTests.RandomDouble(rng));
        WriteExtended(s.AsSpan(0x20), rng);
        WriteExtended(s.AsSpan(0x30), rng);
        BitConverter.TryWriteBytes(s.AsSpan(0x40), SseOracleTests.RandomDouble(rng));
        BitConverter.TryWriteBytes(s.AsSpan(0x50), SseOracleTests.RandomSingle(rng));
        BitConverter.TryWriteBytes(s.AsSpan(0x58), rng.Next(4) == 0 ? 0 : rng.Next(int.MinValue, int.MaxValue));
        BitConverter.TryWriteBytes(s.AsSpan(0x5C), (short)rng.Next(-40000, 40000));
        BitConverter.TryWriteBytes(s.AsSpan(0x60), rng.NextInt64() >> rng.Next(64));
        // Packed BCD: 18 random digits and a sign.
        for (int k = 0; k < 9; k++) s[0x70 + k] = (byte)(rng.Next(10) << 4 | rng.Next(10));
        s[0x79] = (byte)(rng.Next(2) << 7);
    }

    static void WriteExtended(Span<byte> d, Random rng)
    {
        ulong sig = (ulong)rng.NextInt64() | ((ulong)rng.Next(2) << 63);
        if (rng.Next(3) == 0) sig &= ~0ul << rng.Next(64);
        int exp = rng.Next(10) switch
        {
            0 => 0,
            1 => 0x7FFF,
            2 => rng.Next(1, 40),
            3 => rng.Next(0x7FC0, 0x7FFF),
            _ => rng.Next(0x3FC0, 0x4040),
        };
        if (exp != 0 && rng.Next(8) != 0) sig |= 1ul << 63; // mostly normal, sometimes unnormal
        if (exp == 0 && rng.Next(2) == 0) sig &= ~(1ul << 63);
        BitConverter.TryWriteBytes(d, sig);
        BitConverter.TryWriteBytes(d[8..], (ushort)(exp | (rng.Next(2) << 15)));
    }

    static byte[] Assemble(Assembler a, ulong address)
    {
        var w = new Writer();
        a.Assemble(w, address);
        return w.Bytes.ToArray();
    }

    sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
