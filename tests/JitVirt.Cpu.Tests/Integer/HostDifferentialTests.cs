using System.Runtime.InteropServices;
using Iced.Intel;
using JitVirt.Cpu.State;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>
/// Runs register forms of the integer instructions on the host processor (x86-64 Linux only)
/// and in the emulator from the same random states (RAX, RBX, RCX, RDX and the six flags), and
/// compares the registers and the flags the SDM defines for that case. Division is left out:
/// a #DE on the host would kill the test process.
/// </summary>
public unsafe class HostDifferentialTests
{
    const int StatesPerForm = 500;

    [StructLayout(LayoutKind.Sequential)]
    struct HostState { public ulong Rax, Rbx, Rcx, Flags, Rdx; }

    [DllImport("libc", SetLastError = true)]
    static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    static extern int munmap(nint addr, nuint length);

    static bool HostCanRun => RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux();

    /// <summary>Which flags are defined after the instruction, given the count in CL.</summary>
    delegate ulong DefinedFlags(int bits, int cl);

    static readonly ulong All = Arithmetic;
    static ulong AllButAf(int bits, int cl) => All & ~AF;

    static ulong ShiftDefined(int bits, int cl, bool logicalLeftOrRight)
    {
        int n = cl & (bits == 64 ? 63 : 31);
        if (n == 0) return All;                              // nothing changes
        ulong m = CF | SF | ZF | PF;
        if (n == 1) m |= OF;
        if (logicalLeftOrRight && n >= bits) m &= ~CF;       // SHL/SHR: CF undefined when count ≥ width
        return m;
    }

    static ulong RotateDefined(int bits, int cl)
    {
        int n = cl & (bits == 64 ? 63 : 31);
        if (n == 0) return All;
        return n == 1 ? CF | OF : CF;
    }

    static ulong RotateCarryDefined(int bits, int cl)
    {
        int n = cl & (bits == 64 ? 63 : 31);
        int k = bits == 8 ? n % 9 : bits == 16 ? n % 17 : n;
        if (n == 0) return All;
        if (k == 0) return All & ~OF;
        return n == 1 ? CF | OF : CF;
    }

    static ulong DoubleShiftDefined(int bits, int cl)
    {
        int n = cl & (bits == 64 ? 63 : 31);
        if (n == 0) return All;
        if (n > bits) return 0;
        return n == 1 ? CF | OF | SF | ZF | PF : CF | SF | ZF | PF;
    }

    static readonly Register[] A = { Register.AL, Register.AX, Register.EAX, Register.RAX };
    static readonly Register[] B = { Register.BL, Register.BX, Register.EBX, Register.RBX };

    public static IEnumerable<object[]> Forms()
    {
        foreach (var m in new[] { "Add", "Adc", "Sub", "Sbb", "Cmp", "And", "Or", "Xor", "Test", "Xadd", "Cmpxchg", "Xchg" })
            foreach (int bits in new[] { 8, 16, 32, 64 })
                yield return new object[] { m, bits };
        foreach (var m in new[] { "Inc", "Dec", "Neg", "Not", "Mul", "Imul1", "Imul2", "Imul3" })
            foreach (int bits in new[] { 8, 16, 32, 64 })
                if (!(bits == 8 && m is "Imul2" or "Imul3")) yield return new object[] { m, bits };
        foreach (var m in new[] { "Shl", "Shr", "Sar", "Rol", "Ror", "Rcl", "Rcr" })
            foreach (int bits in new[] { 8, 16, 32, 64 })
                yield return new object[] { m, bits };
        foreach (var m in new[] { "Shld", "Shrd", "Bt", "Bts", "Btr", "Btc", "Bsf", "Bsr", "Cmovb", "Cmovle", "Cmovp" })
            foreach (int bits in new[] { 16, 32, 64 })
                yield return new object[] { m, bits };
        foreach (var m in new[] { "Setb", "Setle", "Seto", "Setnp" })
            yield return new object[] { m, 8 };
        yield return new object[] { "Bswap", 32 };
        yield return new object[] { "Bswap", 64 };
    }

    static (Instruction insn, DefinedFlags defined) Build(string m, int bits)
    {
        int w = bits switch { 8 => 0, 16 => 1, 32 => 2, _ => 3 };
        Register a = A[w], b = B[w];
        Code C(string name) => Enum.Parse<Code>(name);
        return m switch
        {
            "Add" or "Adc" or "Sub" or "Sbb" or "Cmp" => (Instruction.Create(C($"{m}_r{bits}_rm{bits}"), a, b), (_, _) => All),
            "And" or "Or" or "Xor" => (Instruction.Create(C($"{m}_r{bits}_rm{bits}"), a, b), AllButAf),
            "Test" => (Instruction.Create(C($"Test_rm{bits}_r{bits}"), a, b), AllButAf),
            "Xadd" => (Instruction.Create(C($"Xadd_rm{bits}_r{bits}"), a, b), (_, _) => All),
            "Cmpxchg" => (Instruction.Create(C($"Cmpxchg_rm{bits}_r{bits}"), b, CReg(w)), (_, _) => All),
            "Xchg" => (Instruction.Create(C($"Xchg_rm{bits}_r{bits}"), a, b), (_, _) => All),
            "Inc" or "Dec" or "Neg" or "Not" => (Instruction.Create(C($"{m}_rm{bits}"), a), (_, _) => All),
            "Mul" => (Instruction.Create(C($"Mul_rm{bits}"), b), (_, _) => CF | OF),
            "Imul1" => (Instruction.Create(C($"Imul_rm{bits}"), b), (_, _) => CF | OF),
            "Imul2" => (Instruction.Create(C($"Imul_r{bits}_rm{bits}"), a, b), (_, _) => CF | OF),
            "Imul3" => (Instruction.Create(C(bits == 16 ? "Imul_r16_rm16_imm16" : $"Imul_r{bits}_rm{bits}_imm32"), a, b, -12345), (_, _) => CF | OF),
            "Shl" or "Shr" => (Instruction.Create(C($"{m}_rm{bits}_CL"), a, Register.CL), (x, cl) => ShiftDefined(x, cl, true)),
            "Sar" => (Instruction.Create(C($"Sar_rm{bits}_CL"), a, Register.CL), (x, cl) => ShiftDefined(x, cl, false)),
            "Rol" or "Ror" => (Instruction.Create(C($"{m}_rm{bits}_CL"), a, Register.CL), RotateDefined),
            "Rcl" or "Rcr" => (Instruction.Create(C($"{m}_rm{bits}_CL"), a, Register.CL), RotateCarryDefined),
            "Shld" or "Shrd" => (Instruction.Create(C($"{m}_rm{bits}_r{bits}_CL"), a, b, Register.CL), DoubleShiftDefined),
            "Bt" or "Bts" or "Btr" or "Btc" => (Instruction.Create(C($"{m}_rm{bits}_r{bits}"), a, b), (_, _) => CF),
            "Bsf" or "Bsr" => (Instruction.Create(C($"{m}_r{bits}_rm{bits}"), a, b), (_, _) => ZF),
            "Cmovb" or "Cmovle" or "Cmovp" => (Instruction.Create(C($"{m}_r{bits}_rm{bits}"), a, b), (_, _) => All),
            "Setb" or "Setle" or "Seto" or "Setnp" => (Instruction.Create(C($"{m}_rm8"), Register.AL), (_, _) => All),
            "Bswap" => (Instruction.Create(C($"Bswap_r{bits}"), a), (_, _) => All),
            _ => throw new ArgumentException(m),
        };
    }

    static Register CReg(int w) => new[] { Register.CL, Register.CX, Register.ECX, Register.RCX }[w];

    static byte[] Encode(in Instruction insn)
    {
        var writer = new CodeWriterImpl();
        var encoder = Encoder.Create(64, writer);
        encoder.Encode(insn, 0x1000);
        return writer.Bytes.ToArray();
    }

    static ulong RandomValue(Random rng)
    {
        ulong[] edges = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, long.MaxValue, 0x8000_0000_0000_0000, ulong.MaxValue };
        return rng.Next(4) == 0 ? edges[rng.Next(edges.Length)] ^ (rng.Next(3) == 0 ? 1ul : 0) : (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void DefinedFlagsAndResultsMatchTheHost(string mnemonic, int bits)
    {
        if (!HostCanRun) return;
        var (insn, defined) = Build(mnemonic, bits);
        byte[] bytes = Encode(insn);

        var stub = new Assembler(64);
        stub.push(rbx);
        stub.mov(rax, __qword_ptr[rdi]);
        stub.mov(rbx, __qword_ptr[rdi + 8]);
        stub.mov(rcx, __qword_ptr[rdi + 16]);
        stub.mov(rdx, __qword_ptr[rdi + 32]);
        stub.push(__qword_ptr[rdi + 24]);
        stub.popfq();
        stub.db(bytes);
        stub.pushfq();
        stub.pop(__qword_ptr[rdi + 24]);
        stub.mov(__qword_ptr[rdi], rax);
        stub.mov(__qword_ptr[rdi + 8], rbx);
        stub.mov(__qword_ptr[rdi + 16], rcx);
        stub.mov(__qword_ptr[rdi + 32], rdx);
        stub.pop(rbx);
        stub.ret();
        var w = new CodeWriterImpl();
        nint page = mmap(0, 4096, 7, 0x22, -1, 0); // RWX, MAP_PRIVATE | MAP_ANONYMOUS
        Assert.NotEqual((nint)(-1), page);
        try
        {
            stub.Assemble(w, (ulong)page);
            Marshal.Copy(w.Bytes.ToArray(), 0, page, w.Bytes.Count);
            var run = (delegate* unmanaged<HostState*, void>)page;

            using var g = new IntegerGuest(64);
            var rng = new Random(bits * 7919 + mnemonic.GetHashCode(StringComparison.Ordinal) % 1000);
            var failures = new List<string>();
            for (int n = 0; n < StatesPerForm && failures.Count < 5; n++)
            {
                ulong flagsIn = (ulong)rng.Next(0x1000) & Arithmetic;
                var s = new HostState { Rax = RandomValue(rng), Rbx = RandomValue(rng), Rcx = RandomValue(rng), Rdx = RandomValue(rng), Flags = flagsIn | Reserved1 };
                if (rng.Next(3) == 0) s.Rcx = (s.Rcx & ~0xFFul) | (uint)rng.Next(0, 70); // counts near the widths
                if (mnemonic == "Cmpxchg" && rng.Next(2) == 0) s.Rbx = s.Rax;      // success half the time
                var input = s;
                run(&s);

                g[G.Rax] = input.Rax; g[G.Rbx] = input.Rbx; g[G.Rcx] = input.Rcx; g[G.Rdx] = input.Rdx;
                g.SetFlags(flagsIn);
                Assert.True(g.Exec(bytes));
                ulong mask = defined(bits, (int)(input.Rcx & 0xFF));
                bool resultDefined = !(mnemonic is "Shld" or "Shrd" && mask == 0);
                bool ok = (g.Flags & mask) == (s.Flags & mask)
                    && (!resultDefined || (g[G.Rax] == s.Rax && g[G.Rbx] == s.Rbx && g[G.Rcx] == s.Rcx && g[G.Rdx] == s.Rdx));
                if (!ok)
                    failures.Add($"in rax={input.Rax:X} rbx={input.Rbx:X} rcx={input.Rcx:X} rdx={input.Rdx:X} fl={flagsIn:X}: " +
                                 $"host rax={s.Rax:X} rbx={s.Rbx:X} rcx={s.Rcx:X} rdx={s.Rdx:X} fl={s.Flags & mask:X}; " +
                                 $"emu rax={g[G.Rax]:X} rbx={g[G.Rbx]:X} rcx={g[G.Rcx]:X} rdx={g[G.Rdx]:X} fl={g.Flags & mask:X} (mask {mask:X})");
            }
            Assert.True(failures.Count == 0, $"{insn}:\n" + string.Join("\n", failures));
        }
        finally
        {
            munmap(page, 4096);
        }
    }

    sealed class CodeWriterImpl : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
