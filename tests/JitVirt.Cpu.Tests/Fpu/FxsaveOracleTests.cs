using Iced.Intel;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// FXSAVE/FXSAVE64 and FXRSTOR/FXRSTOR64 (SDM vol.2A FXSAVE, vol.1 §10.5.1 Table 10-2) against the
/// host, through memory: the x87/MMX state is set up by MOVQ/FLD (or by FXRSTOR of a random image)
/// and the image FXSAVE writes is compared byte for byte, as are XMM0–15 and MXCSR. Not compared:
/// FOP, FIP/FCS and FDP/FDS (bytes 6–23: AMD saves them only while an x87 exception is pending, APM
/// vol.5 FXSAVE) and MXCSR_MASK (bytes 28–31: AMD parts with misaligned-SSE mode report 2FFFFH,
/// JitVirt 0FFFFH, SDM vol.1 §11.6.6). JITVIRT_FXSAVE_CASES sets the cases per variant (default 300).
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class FxsaveOracleTests(ITestOutputHelper output)
{
    const int Save = 0x400, Image = 0x600, Tword = 0x800;
    static readonly AssemblerRegisterMM[] Mm = [mm0, mm1, mm2, mm3, mm4, mm5, mm6, mm7];

    [Fact]
    public void FxsaveAndFxrstorImagesMatchTheHost()
    {
        if (!NativeExecutor.IsSupported) return;
        using var native = new NativeExecutor();
        using var emu = new JitVirtInstructionExecutor(native.Layout);
        var layout = native.Layout;
        int perVariant = int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_FXSAVE_CASES"), out int n) && n > 0 ? n : 300;
        var rng = new Random(0xF5A7E);
        int total = 0, mismatches = 0, faults = 0;
        var failures = new System.Text.StringBuilder();
        foreach (bool restore in new[] { false, true })
            foreach (bool rexW in new[] { false, true })
                for (int k = 0; k < perVariant; k++)
                {
                    var (code, state, text) = Build(layout, rng, restore, rexW);
                    var e = state.Clone();
                    native.Execute(ExecutionMode.Long64, code, e);
                    var a = state.Clone();
                    emu.Execute(ExecutionMode.Long64, code, a);
                    total++;
                    if (e.Faulted) faults++;
                    foreach (var s in new[] { e, a })
                    {
                        s.Scratch.AsSpan(Save + 6, 18).Clear();
                        s.Scratch.AsSpan(Save + 28, 4).Clear();
                    }
                    string? diff = SimdOracleDiff.Compare(e, a);
                    if (diff is null) continue;
                    if (mismatches++ < 6) failures.Append($"{text}\n{diff}\n");
                }
        output.WriteLine($"{total} FXSAVE/FXRSTOR cases, {faults} faulted on the host, {mismatches} mismatches");
        Assert.True(mismatches == 0, $"{mismatches} of {total} mismatched:\n{failures}");
    }

    static (byte[] Code, OracleState State, string Text) Build(OracleLayout layout, Random rng, bool restore, bool rexW)
    {
        var state = new OracleState(layout);
        for (int k = 0; k < 16; k++) state.Xmm[k] = SimdOracleValues.RandomXmm(rng);
        SimdOracleValues.FillMemory(state.Scratch, rng);
        state.Mxcsr = SimdOracleValues.RandomMxcsr(rng);
        state.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
        var a = new Assembler(64);
        a.fninit();
        string text;
        if (restore)
        {
            // A random image: FCW, FSW (any TOP, flags, ES), abridged tags, registers, MXCSR (sometimes a
            // reserved bit 18–31: #GP(0), SDM vol.2A FXRSTOR), XMM. Bytes 464–511 are software's.
            var img = state.Scratch.AsSpan(Image, 512);
            BitConverter.TryWriteBytes(img[0..], (ushort)rng.Next(0x10000));
            BitConverter.TryWriteBytes(img[2..], (ushort)rng.Next(0x10000));
            img[4] = (byte)rng.Next(256);
            uint mxcsr = SimdOracleValues.RandomMxcsr(rng) | (rng.Next(10) == 0 ? 1u << rng.Next(18, 32) : 0);
            BitConverter.TryWriteBytes(img[24..], mxcsr);
            a.AddInstruction(Instruction.Create(rexW ? Code.Fxrstor64_m512byte : Code.Fxrstor_m512byte, new MemoryOperand(Register.RBX, Image)));
            text = $"fxrstor{(rexW ? "64" : "")} (fcw {BitConverter.ToUInt16(img):X4} fsw {BitConverter.ToUInt16(img[2..]):X4} ftw {img[4]:X2} mxcsr {mxcsr:X})";
        }
        else
        {
            // MMX state, then (sometimes) x87 pushes so that TOP ≠ 0 and ST(i) ≠ R(i).
            for (int k = 0; k < 8; k++) a.movq(Mm[k], __qword_ptr[rbx + 8 * k]);
            int pushes = rng.Next(4) == 0 ? 0 : rng.Next(1, 4);
            if (pushes > 0) a.emms();
            for (int k = 0; k < pushes; k++) a.fld(__tword_ptr[rbx + Tword + 16 * k]);
            text = $"fxsave{(rexW ? "64" : "")} after {pushes} x87 pushes";
        }
        a.AddInstruction(Instruction.Create(rexW ? Code.Fxsave64_m512byte : Code.Fxsave_m512byte, new MemoryOperand(Register.RBX, Save)));
        var w = new BytesWriter();
        a.Assemble(w, layout.CodeAddress64);
        return (w.Bytes.ToArray(), state, text);
    }

    sealed class BytesWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
