using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// The host-x87 path of the transcendental instructions (HostX87, decision 0014): the thunks are the
/// documented instruction sequences, and no guest input — every operand class, empty and full stacks,
/// every exception unmasked, pending exceptions the guest carries in — makes the host trap (the
/// process would die of SIGFPE: surviving these tests is part of what they show), while the results
/// match the host CPU run natively.
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class HostX87Tests(ITestOutputHelper output)
{
    // Scratch layout of the directed cases.
    const int TestCw = 0x000, SetupCw = 0x002, Values = 0x010, Save = 0x100;

    public static TheoryData<Mnemonic, bool> Thunks()
    {
        var d = new TheoryData<Mnemonic, bool>();
        foreach (var m in HostX87.Instructions) { d.Add(m, false); d.Add(m, true); }
        return d;
    }

    /// <summary>Each thunk decodes (Iced, independently of the hand-written bytes) to FNSTCW, FNCLEX, FRSTOR, the instruction, FNSAVE, FLDCW, RET on the ABI's argument register.</summary>
    [Theory]
    [MemberData(nameof(Thunks))]
    public void Thunk_is_save_restore_around_the_one_instruction(Mnemonic m, bool windows)
    {
        var arg = windows ? Register.RCX : Register.RDI;
        var expected = new (Code Code, long Displacement)[]
        {
            (Code.Fnstcw_m2byte, 108), (Code.Fnclex, -1), (Code.Frstor_m108byte, 0), (TranscendentalCode(m), -1),
            (Code.Fnsave_m108byte, 0), (Code.Fldcw_m2byte, 108), (Code.Retnq, -1),
        };
        byte[] bytes = HostX87.Thunk(m, windows);
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes));
        foreach (var (code, disp) in expected)
        {
            var i = decoder.Decode();
            Assert.Equal(code, i.Code);
            if (disp < 0) continue;
            Assert.Equal(arg, i.MemoryBase);
            Assert.Equal(Register.None, i.MemoryIndex);
            Assert.Equal((ulong)disp, i.MemoryDisplacement64);
        }
        Assert.Equal((ulong)bytes.Length, decoder.IP);
    }

    static Code TranscendentalCode(Mnemonic m) => m switch
    {
        Mnemonic.Fsin => Code.Fsin, Mnemonic.Fcos => Code.Fcos, Mnemonic.Fsincos => Code.Fsincos, Mnemonic.Fptan => Code.Fptan,
        Mnemonic.Fpatan => Code.Fpatan, Mnemonic.F2xm1 => Code.F2xm1, Mnemonic.Fyl2x => Code.Fyl2x, Mnemonic.Fyl2xp1 => Code.Fyl2xp1,
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    [Fact]
    public void Host_path_is_available_on_x86_64_Linux()
    {
        if (!NativeExecutor.IsSupported) return;
        Assert.True(HostX87.IsSupported);
    }

    /// <summary>One value of every operand class (SDM vol.1 §8.2.2, Table 8-3; §8.2.3 unsupported encodings).</summary>
    static readonly (string Name, ushort SignExp, ulong Sig)[] Operands =
    [
        ("+0", 0x0000, 0), ("-0", 0x8000, 0), ("1", 0x3FFF, 1ul << 63), ("-1.5", 0xBFFF, 0xC000_0000_0000_0000),
        ("0.5", 0x3FFE, 1ul << 63), ("0.3", 0x3FFD, 0x9999_9999_9999_999A), ("min normal", 0x0001, 1ul << 63),
        ("max normal", 0x7FFE, ulong.MaxValue), ("2^63", 0x403E, 1ul << 63), ("denormal", 0x0000, 1),
        ("pseudo-denormal", 0x0000, 0x8000_0000_0000_0001), ("unnormal", 0x3FFF, 0x4000_0000_0000_0000),
        ("+inf", 0x7FFF, 1ul << 63), ("-inf", 0xFFFF, 1ul << 63), ("pseudo-infinity", 0x7FFF, 0),
        ("pseudo-NaN", 0x7FFF, 0x4000_0000_0000_0001), ("QNaN", 0x7FFF, 0xC000_0000_0000_0001),
        ("SNaN", 0xFFFF, 0xA000_0000_0000_0000), ("indefinite", 0xFFFF, 0xC000_0000_0000_0000),
    ];

    /// <summary>All exceptions masked; all unmasked (round to nearest); all unmasked, round up, 24-bit precision.</summary>
    static readonly ushort[] ControlWords = [0x037F, 0x0340, 0x0840];

    /// <summary>
    /// Every instruction × every operand class in ST(0) (and in ST(1) for FPATAN, FYL2X, FYL2XP1) ×
    /// masked and unmasked exceptions, plus an empty ST(0), an empty ST(1) and a full stack (stack
    /// overflow for FPTAN and FSINCOS): the emulator's result (host path) must equal the host CPU's
    /// bit for bit — FSW, tags and every non-empty register of the FNSAVE image that follows.
    /// </summary>
    [Fact]
    public void Every_operand_class_and_stack_fault_matches_the_host_without_trapping()
    {
        if (!NativeExecutor.IsSupported) return;
        Assert.True(HostX87.IsSupported);
        bool before = X87Transcendentals.UseHost;
        try
        {
            X87Transcendentals.UseHost = true;
            using var native = new NativeExecutor();
            using var emu = new JitVirtInstructionExecutor(native.Layout);
            int cases = 0, unmaskedRaised = 0;
            var failures = new StringBuilder();
            foreach (var m in HostX87.Instructions)
            {
                bool binary = m is Mnemonic.Fpatan or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1;
                foreach (ushort cw in ControlWords)
                {
                    var stacks = new List<(string, int[])>();
                    foreach (var (_, x) in Operands.Select((o, k) => (o, k)))
                        if (binary) for (int y = 0; y < Operands.Length; y++) stacks.Add(($"{Operands[x].Name}, {Operands[y].Name}", [y, x]));
                        else stacks.Add((Operands[x].Name, [2, x]));
                    stacks.Add(("empty", []));
                    stacks.Add(("ST(1) empty", [5]));
                    stacks.Add(("full", [2, 3, 4, 5, 6, 7, 8, 5]));
                    foreach (var (name, stack) in stacks)
                    {
                        var (code, state) = Case(native.Layout, m, cw, stack);
                        var expected = state.Clone();
                        native.Execute(ExecutionMode.Long64, code, expected);
                        var actual = state.Clone();
                        emu.Execute(ExecutionMode.Long64, code, actual);
                        cases++;
                        ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(expected.Scratch.AsSpan(Save + 4));
                        if ((sw & X87Bits.ES) != 0) unmaskedRaised++;
                        string? diff = Compare(expected, actual);
                        if (diff is not null && failures.Length < 20000) failures.Append($"{m} cw {cw:X4} [{name}]: {diff}\n");
                    }
                }
            }
            output.WriteLine($"{cases} directed cases, {unmaskedRaised} left an unmasked exception pending (ES) on the host");
            Assert.True(failures.Length == 0, failures.ToString());
            Assert.True(unmaskedRaised > 100, "the unmasked-exception cases did not raise any");
        }
        finally { X87Transcendentals.UseHost = before; }
    }

    /// <summary>
    /// FNINIT, FLDCW setup, the stack (<paramref name="stack"/> lists operand indices, ST(0) last),
    /// FNCLEX, FLDCW <paramref name="cw"/>, the instruction, FNSAVE: nothing waits after the
    /// instruction, so an unmasked exception stays pending in the image.
    /// </summary>
    static (byte[] Code, OracleState State) Case(OracleLayout layout, Mnemonic m, ushort cw, int[] stack)
    {
        var state = new OracleState(layout);
        state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
        BinaryPrimitives.WriteUInt16LittleEndian(state.Scratch.AsSpan(TestCw), cw);
        BinaryPrimitives.WriteUInt16LittleEndian(state.Scratch.AsSpan(SetupCw), 0x037F);
        for (int k = 0; k < stack.Length; k++)
        {
            var (_, se, sig) = Operands[stack[k]];
            BinaryPrimitives.WriteUInt64LittleEndian(state.Scratch.AsSpan(Values + 10 * k), sig);
            BinaryPrimitives.WriteUInt16LittleEndian(state.Scratch.AsSpan(Values + 10 * k + 8), se);
        }
        var a = new Assembler(64);
        a.fninit();
        a.fldcw(__word_ptr[rbx + SetupCw]);
        for (int k = 0; k < stack.Length; k++) a.fld(__tword_ptr[rbx + Values + 10 * k]);
        a.fnclex();
        a.fldcw(__word_ptr[rbx + TestCw]);
        a.AddInstruction(Instruction.Create(TranscendentalCode(m)));
        a.fnsave(__[rbx + Save]);
        var w = new Writer();
        a.Assemble(w, layout.CodeAddress64);
        return (w.Bytes.ToArray(), state);
    }

    /// <summary>FCW, FSW, FTW and every non-empty register of the FNSAVE image (SDM vol.1 Figure 8-9), and the fault vector.</summary>
    static string? Compare(OracleState e, OracleState a)
    {
        var sb = new StringBuilder();
        if (e.FaultVector != a.FaultVector) sb.Append($"fault {e.FaultVector} vs {a.FaultVector}; ");
        for (int o = 0; o < 12; o += 4)
        {
            ushort x = BinaryPrimitives.ReadUInt16LittleEndian(e.Scratch.AsSpan(Save + o)), y = BinaryPrimitives.ReadUInt16LittleEndian(a.Scratch.AsSpan(Save + o));
            if (x != y) sb.Append($"{(o == 0 ? "FCW" : o == 4 ? "FSW" : "FTW")} {x:X4} vs {y:X4}; ");
        }
        ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(e.Scratch.AsSpan(Save + 4)), tw = BinaryPrimitives.ReadUInt16LittleEndian(e.Scratch.AsSpan(Save + 8));
        int top = (sw >> 11) & 7;
        for (int st = 0; st < 8; st++)
        {
            if (((tw >> (2 * ((top + st) & 7))) & 3) == 3) continue;
            var x = e.Scratch.AsSpan(Save + 28 + 10 * st, 10); var y = a.Scratch.AsSpan(Save + 28 + 10 * st, 10);
            if (!x.SequenceEqual(y)) sb.Append($"ST({st}) {Convert.ToHexString(x)} vs {Convert.ToHexString(y)}; ");
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <summary>
    /// A guest with CR0.NE clear may run a transcendental while an unmasked exception is pending (the
    /// emulator does not model FERR#): the host must not see it (it would raise #MF at the
    /// instruction), and the guest keeps it: IE, ES and B stay set, and sin(−1) is computed.
    /// </summary>
    [Fact]
    public void Pending_unmasked_exception_with_NE_clear_does_not_reach_the_host()
    {
        if (!HostX87.IsSupported) return;
        var layout = new OracleLayout(0x40_0000, 0x40_0C00, 0x60_0000, 4096, 0x50_0000, 4096);
        using var emu = new JitVirtInstructionExecutor(layout);
        bool before = X87Transcendentals.UseHost;
        try
        {
            foreach (bool host in new[] { true, false })
            {
                X87Transcendentals.UseHost = host;
                var a = new Assembler(64);
                // IM clear; √−1 raises IE unmasked: no result, ES and B set (SDM vol.1 §8.5.1, §8.6).
                a.fninit(); a.fldcw(__word_ptr[rbx + 0x100]); a.fld1(); a.fchs(); a.fsqrt();
                a.fsin();
                a.fnstsw(__word_ptr[rbx]); a.fstp(__qword_ptr[rbx + 8]);
                var w = new Writer();
                a.Assemble(w, layout.CodeAddress64);
                var state = new OracleState(layout);
                state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
                BinaryPrimitives.WriteUInt16LittleEndian(state.Scratch.AsSpan(0x100), 0x037E);
                emu.Setup = c => c.Cr0 &= ~Cr0.NE;
                emu.Execute(ExecutionMode.Long64, w.Bytes.ToArray(), state);
                Assert.Equal(FaultVectors.None, state.FaultVector);
                ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(state.Scratch);
                const ushort pending = X87Bits.IE | X87Bits.ES | X87Bits.B;
                Assert.Equal(pending, sw & pending);
                Assert.Equal(0, sw & X87Bits.SF);
                Assert.Equal(-Math.Sin(1.0), BitConverter.ToDouble(state.Scratch, 8), 15);
            }
        }
        finally { X87Transcendentals.UseHost = before; }
    }

    sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
