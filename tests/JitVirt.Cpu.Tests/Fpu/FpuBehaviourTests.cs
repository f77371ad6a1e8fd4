using JitVirt.Cpu.Tests.Support;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.State;
using JitVirt.NativeOracle;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>Architectural behaviour of the x87/MMX/SSE state that the host oracle cannot show: tags, TOP, device-not-available, #MF, save images.</summary>
public sealed class FpuBehaviourTests : IDisposable
{
    static readonly OracleLayout Layout = new(0x40_0000, 0x40_0C00, 0x60_0000, 4096, 0x50_0000, 4096);
    readonly JitVirtInstructionExecutor _emu = new(Layout);
    Cpu Cpu => _emu.Cpu;

    public void Dispose() => _emu.Dispose();

    OracleState Run(Action<Assembler> emit, Action<Cpu>? setup = null, Action<OracleState>? init = null)
    {
        var a = new Assembler(64);
        emit(a);
        var w = new Writer();
        a.Assemble(w, Layout.CodeAddress64);
        var state = new OracleState(Layout);
        state.Gpr[GprIndex.Rbx] = Layout.ScratchAddress;
        init?.Invoke(state);
        _emu.Setup = setup;
        _emu.Execute(ExecutionMode.Long64, w.Bytes.ToArray(), state);
        return state;
    }

    [Fact]
    public void FninitEmptiesTheStackAndLoadsTheDefaultControlWord()
    {
        var s = Run(a => { a.fld1(); a.fninit(); a.fnstcw(__word_ptr[rbx]); a.fnstsw(__word_ptr[rbx + 2]); });
        Assert.Equal(0x037F, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(2)));
        Assert.Equal(0, Cpu.FpuTagValid);
    }

    [Fact]
    public void PushesDecrementTopAndTagRegistersValid()
    {
        Run(a => { a.fninit(); a.fld1(); a.fldz(); a.fldpi(); });
        Assert.Equal(5, Cpu.FpuTop);
        Assert.Equal(0b1110_0000, Cpu.FpuTagValid);
        Assert.Equal(0x4000, Cpu.FpuSignExponent[5]);     // π in ST(0) = R5
        Assert.Equal(0, Cpu.FpuSignExponent[6]);           // +0 in R6
        Assert.Equal(0x3FFF, Cpu.FpuSignExponent[7]);      // 1.0 in R7
        // Full tag word via FNSTENV: R5 valid (00), R6 zero (01), R7 valid (00), others empty (11).
        var s = Run(a => { a.fninit(); a.fld1(); a.fldz(); a.fldpi(); a.fnstenv(__[rbx]); });
        Assert.Equal(0b00_01_00_11_11_11_11_11, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(8)));
        Assert.Equal(0x037F | 0x3F, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch) | 0x3F);
    }

    [Fact]
    public void NinthPushIsAStackOverflowGivingTheIndefinite()
    {
        var s = Run(a => { a.fninit(); for (int k = 0; k < 9; k++) a.fld1(); a.fnstsw(__word_ptr[rbx]); a.fstp(__tword_ptr[rbx + 0x10]); });
        ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch);
        Assert.Equal(X87Bits.IE | X87Bits.SF | X87Bits.C1, sw & (X87Bits.IE | X87Bits.SF | X87Bits.C1));
        Assert.Equal(0xC000_0000_0000_0000ul, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch.AsSpan(0x10)));
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(0x18)));
    }

    [Fact]
    public void PrecisionControlRoundsTheSignificand()
    {
        // 1/3 at PC=24 (single), 53 (double) and 64 (extended), round to nearest.
        foreach (var (pc, sig) in new[] { (0, 0xAAAA_AB00_0000_0000ul), (2, 0xAAAA_AAAA_AAAA_A800ul), (3, 0xAAAA_AAAA_AAAA_AAABul) })
        {
            var s = Run(a => { a.fninit(); a.fldcw(__word_ptr[rbx + 0x100]); a.fld1(); a.fild(__dword_ptr[rbx + 0x104]); a.fdivp(st1, st0); a.fstp(__tword_ptr[rbx]); },
                init: st => { BinaryPrimitives.WriteUInt16LittleEndian(st.Scratch.AsSpan(0x100), (ushort)(0x7F | pc << 8)); BinaryPrimitives.WriteInt32LittleEndian(st.Scratch.AsSpan(0x104), 3); });
            Assert.Equal(sig, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch));
            Assert.Equal(0x3FFD, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(8)));
        }
    }

    [Fact]
    public void RoundingControlSelectsTheDirection()
    {
        // 2/3 in extended: truncation gives ...AAAA, up and nearest give ...AAAB.
        foreach (var (rc, last) in new[] { (0, 0xABul), (1, 0xAAul), (2, 0xABul), (3, 0xAAul) })
        {
            var s = Run(a => { a.fninit(); a.fldcw(__word_ptr[rbx + 0x100]); a.fild(__dword_ptr[rbx + 0x108]); a.fild(__dword_ptr[rbx + 0x104]); a.fdivp(st1, st0); a.fstp(__tword_ptr[rbx]); },
                init: st => { BinaryPrimitives.WriteUInt16LittleEndian(st.Scratch.AsSpan(0x100), (ushort)(0x37F | rc << 10)); BinaryPrimitives.WriteInt32LittleEndian(st.Scratch.AsSpan(0x104), 3); BinaryPrimitives.WriteInt32LittleEndian(st.Scratch.AsSpan(0x108), 2); });
            Assert.Equal(last, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch) & 0xFF);
        }
    }

    [Fact]
    public void TaskSwitchedRaisesDeviceNotAvailable()
    {
        var s = Run(a => a.fld1(), setup: c => c.Cr0 |= Cr0.TS);
        Assert.Equal(ExceptionVector.DeviceNotAvailable, s.FaultVector);
        s = Run(a => a.addps(xmm0, xmm1), setup: c => c.Cr0 |= Cr0.TS);
        Assert.Equal(ExceptionVector.DeviceNotAvailable, s.FaultVector);
        s = Run(a => a.fxsave(__[rbx]), setup: c => c.Cr0 |= Cr0.TS);
        Assert.Equal(ExceptionVector.DeviceNotAvailable, s.FaultVector);
        s = Run(a => a.wait(), setup: c => c.Cr0 |= Cr0.TS | Cr0.MP);
        Assert.Equal(ExceptionVector.DeviceNotAvailable, s.FaultVector);
        s = Run(a => a.wait(), setup: c => { c.Cr0 |= Cr0.TS; c.Cr0 &= ~Cr0.MP; });
        Assert.Equal(FaultVectors.None, s.FaultVector);
        s = Run(a => a.fld1(), setup: c => c.Cr0 |= Cr0.EM);
        Assert.Equal(ExceptionVector.DeviceNotAvailable, s.FaultVector);
    }

    [Fact]
    public void SseNeedsOsfxsrAndEmClear()
    {
        var s = Run(a => a.pxor(xmm0, xmm0), setup: c => c.Cr4 &= ~Cr4.OSFXSR);
        Assert.Equal(ExceptionVector.InvalidOpcode, s.FaultVector);
        s = Run(a => a.pxor(xmm0, xmm0), setup: c => c.Cr0 |= Cr0.EM);
        Assert.Equal(ExceptionVector.InvalidOpcode, s.FaultVector);
        s = Run(a => a.pxor(mm0, mm0), setup: c => c.Cr0 |= Cr0.EM);
        Assert.Equal(ExceptionVector.InvalidOpcode, s.FaultVector);
    }

    [Fact]
    public void UnmaskedSimdExceptionIsXmOrUdByOsxmmexcpt()
    {
        // 1/0 with ZM clear.
        void Init(OracleState st) { st.Xmm[0] = new XmmRegister(0x3F80_0000, 0); st.Mxcsr = 0x1F80 & ~(1u << 9); }
        var s = Run(a => a.divss(xmm0, xmm1), init: Init);
        Assert.Equal(ExceptionVector.SimdFloatingPoint, s.FaultVector);
        Assert.Equal(0x1D84u, s.Mxcsr);
        Assert.Equal(0x3F80_0000ul, s.Xmm[0].Low); // destination unchanged
        s = Run(a => a.divss(xmm0, xmm1), setup: c => c.Cr4 &= ~Cr4.OSXMMEXCPT, init: Init);
        Assert.Equal(ExceptionVector.InvalidOpcode, s.FaultVector);
    }

    [Fact]
    public void UnmaskedX87ExceptionIsReportedAtTheNextWaitingInstruction()
    {
        var s = Run(a => { a.fninit(); a.fldcw(__word_ptr[rbx + 0x100]); a.fldz(); a.fld1(); a.fdivrp(st1, st0); a.fnstsw(__word_ptr[rbx]); a.wait(); },
            init: st => BinaryPrimitives.WriteUInt16LittleEndian(st.Scratch.AsSpan(0x100), 0x037B)); // ZM clear
        ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch);
        Assert.Equal(X87Bits.ZE | X87Bits.ES | X87Bits.B, sw & (X87Bits.ZE | X87Bits.ES | X87Bits.B));
        Assert.Equal(ExceptionVector.FloatingPointError, s.FaultVector);
        // With CR0.NE clear the #MF path is not taken (FERR#/IRQ13 is not modelled).
        s = Run(a => { a.fninit(); a.fldcw(__word_ptr[rbx + 0x100]); a.fldz(); a.fld1(); a.fdivrp(st1, st0); a.wait(); },
            setup: c => c.Cr0 &= ~Cr0.NE, init: st => BinaryPrimitives.WriteUInt16LittleEndian(st.Scratch.AsSpan(0x100), 0x037B));
        Assert.Equal(FaultVectors.None, s.FaultVector);
    }

    [Fact]
    public void MmxInstructionsAliasTheX87RegistersAndEmmsEmptiesThem()
    {
        Run(a => { a.fninit(); a.fld1(); a.movq(mm1, __qword_ptr[rbx]); a.paddb(mm1, mm1); },
            init: st => BinaryPrimitives.WriteUInt64LittleEndian(st.Scratch, 0x0102_0304_0506_0708));
        Assert.Equal(0, Cpu.FpuTop);
        Assert.Equal(0xFF, Cpu.FpuTagValid);
        Assert.Equal(0x0204_0608_0A0C_0E10ul, Cpu.FpuSignificand[1]);
        Assert.Equal(0xFFFF, Cpu.FpuSignExponent[1]);
        Run(a => { a.movq(mm1, __qword_ptr[rbx]); a.emms(); });
        Assert.Equal(0, Cpu.FpuTagValid);
    }

    [Fact]
    public void AlignedSseAccessesRequireSixteenByteAlignment()
    {
        var s = Run(a => a.movdqa(xmm0, __xmmword_ptr[rbx + 8]));
        Assert.Equal(ExceptionVector.GeneralProtection, s.FaultVector);
        s = Run(a => a.movdqu(xmm0, __xmmword_ptr[rbx + 8]));
        Assert.Equal(FaultVectors.None, s.FaultVector);
        s = Run(a => a.fxsave(__[rbx + 8]));
        Assert.Equal(ExceptionVector.GeneralProtection, s.FaultVector);
    }

    [Fact]
    public void FsaveFrstorRoundTripAndReinitialise()
    {
        var s = Run(a => { a.fninit(); a.fldpi(); a.fld1(); a.fnsave(__[rbx]); a.fnstcw(__word_ptr[rbx + 0x200]); a.frstor(__[rbx]); a.fstp(__tword_ptr[rbx + 0x210]); a.fstp(__tword_ptr[rbx + 0x220]); });
        Assert.Equal(0x037F, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(0x200))); // FNSAVE re-initialised
        Assert.Equal(0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(0x218)));
        Assert.Equal(0xC90F_DAA2_2168_C235ul, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch.AsSpan(0x220)));
        // Image: 28-byte environment, then ST(0) = 1.0 at +28 and ST(1) = π at +38.
        Assert.Equal(0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(28 + 8)));
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(38 + 8)));
        Assert.Equal(6, (BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(4)) >> 11) & 7); // TOP in the saved FSW
    }

    [Fact]
    public void FxsaveFxrstorRoundTripInBothLayouts()
    {
        foreach (bool rexW in new[] { false, true })
        {
            var s = Run(a =>
            {
                a.fninit(); a.fld1();
                a.ldmxcsr(__dword_ptr[rbx + 0x400]);
                if (rexW) a.fxsave64(__[rbx]); else a.fxsave(__[rbx]);
                a.fninit(); a.pxor(xmm3, xmm3); a.pxor(xmm12, xmm12);
                if (rexW) a.fxrstor64(__[rbx]); else a.fxrstor(__[rbx]);
                a.fstp(__tword_ptr[rbx + 0x410]);
            }, init: st =>
            {
                st.Xmm[3] = new XmmRegister(0x1111, 0x2222);
                st.Xmm[12] = new XmmRegister(0x3333, 0x4444);
                BinaryPrimitives.WriteUInt32LittleEndian(st.Scratch.AsSpan(0x400), 0x3F80);
            });
            Assert.Equal(0x037F, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch));
            Assert.Equal(0x80, s.Scratch[4]);                                  // abridged tag: R7 valid
            Assert.Equal(0x3F80u, BinaryPrimitives.ReadUInt32LittleEndian(s.Scratch.AsSpan(24)));
            Assert.Equal(0xFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(s.Scratch.AsSpan(28)));  // MXCSR_MASK (DAZ implemented)
            Assert.Equal(0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(40)));  // ST0 = 1.0
            Assert.Equal(0x1111ul, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch.AsSpan(160 + 48)));
            Assert.Equal(0x4444ul, BinaryPrimitives.ReadUInt64LittleEndian(s.Scratch.AsSpan(160 + 16 * 12 + 8)));
            Assert.Equal(new XmmRegister(0x1111, 0x2222), s.Xmm[3]);
            Assert.Equal(new XmmRegister(0x3333, 0x4444), s.Xmm[12]);
            Assert.Equal(0x3F80u, s.Mxcsr);
            Assert.Equal(0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(s.Scratch.AsSpan(0x418)));
        }
    }

    [Fact]
    public void FxrstorAndLdmxcsrRejectReservedMxcsrBits()
    {
        var s = Run(a => { a.fxsave(__[rbx]); a.fxrstor(__[rbx + 0x200]); },
            init: st => BinaryPrimitives.WriteUInt32LittleEndian(st.Scratch.AsSpan(0x200 + 24), 0x1_1F80));
        Assert.Equal(ExceptionVector.GeneralProtection, s.FaultVector);
        s = Run(a => a.ldmxcsr(__dword_ptr[rbx]), init: st => BinaryPrimitives.WriteUInt32LittleEndian(st.Scratch, 0x1_0000));
        Assert.Equal(ExceptionVector.GeneralProtection, s.FaultVector);
    }

    sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
