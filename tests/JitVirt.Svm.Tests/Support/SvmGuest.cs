using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.IlJit;
using JitVirt.Mmu;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.Svm.Tests.Support;

/// <summary>One #VMEXIT as observed before its handler ran: the VMCB's exit fields and saved RIP.</summary>
public readonly record struct ObservedExit(ulong Code, ulong Info1, ulong Info2, uint IntInfo, uint IntInfoError, ulong Rip);

/// <summary>
/// A small guest on a bare processor (no machine): code assembled with Iced at <see cref="CodeAddress"/>
/// in 16-bit real mode, flat 32-bit protected mode or 64-bit mode, run under an <see cref="SvmFrontEnd"/>
/// built by its <see cref="SvmFrontEnd.Reset"/>. Every #VMEXIT is recorded.
/// </summary>
public sealed class SvmGuest : IDisposable
{
    public const ulong CodeAddress = 0x10_000;
    public const ulong DataAddress = 0x100_000;
    public const ulong StackTop = 0x9_0000;

    public PhysicalMemory Memory { get; }
    public CpuT Cpu { get; }
    public Interpreter Interpreter { get; }
    public TieredExecutor? Tiered { get; }
    public SvmFrontEnd Svm { get; }
    public RecordingPorts Ports { get; } = new();
    public List<ObservedExit> Exits { get; } = [];
    public int Bits { get; }

    readonly AssemblerResult _assembled;

    public SvmGuest(int bits, Action<Assembler> program, bool tiered = false, AsidAllocator? asids = null,
        IAddressTranslator? translator = null, Action<SvmGuest>? setup = null)
    {
        Bits = bits;
        Memory = new PhysicalMemory(8 << 20);
        Cpu = new CpuT(Memory, translator ?? IdentityTranslator.Instance, Ports);
        Interpreter = new Interpreter(Cpu);
        IExecutor executor = Interpreter;
        if (tiered) executor = Tiered = new TieredExecutor(Cpu, Interpreter, threshold: 0);
        Svm = asids is null ? new SvmFrontEnd(Cpu, executor) : new SvmFrontEnd(Cpu, executor, asids);
        Svm.ExitObserver = s => Exits.Add(new ObservedExit(s.Vmcb.ExitCode, s.Vmcb.ExitInfo1, s.Vmcb.ExitInfo2,
            s.Vmcb.ExitIntInfo.Value, s.Vmcb.ExitIntInfoErrorCode, s.Vmcb.Rip));

        var a = new Assembler(bits);
        program(a);
        var writer = new BytesWriter();
        ulong origin = bits == 16 ? 0 : CodeAddress; // real mode runs at CS = 1000h, IP = 0
        _assembled = a.Assemble(writer, origin, BlockEncoderOptions.ReturnNewInstructionOffsets);
        Memory.WriteBytes(CodeAddress, writer.Bytes.ToArray());
        SetMode();
        setup?.Invoke(this);
        Svm.Reset();
    }

    /// <summary>The RIP of <paramref name="label"/> (IP in real mode).</summary>
    public ulong Rip(Label label) => _assembled.GetLabelRIP(label);

    void SetMode()
    {
        var cpu = Cpu;
        cpu.Reset();
        switch (Bits)
        {
            case 16:
                cpu.Segments[SegmentIndex.Cs] = SegmentRegister.RealMode((ushort)(CodeAddress >> 4), SegmentRegister.RealModeCode);
                for (int s = 0; s < SegmentIndex.Count; s++)
                    if (s != SegmentIndex.Cs) cpu.Segments[s] = SegmentRegister.RealMode(0, SegmentRegister.RealModeData);
                cpu.Gpr[Gpr.Rsp] = StackTop & 0xFFFF;
                cpu.Segments[SegmentIndex.Ss] = SegmentRegister.RealMode((ushort)((StackTop - 0x10000) >> 4), SegmentRegister.RealModeData);
                cpu.Rip = 0;
                break;
            case 32:
                cpu.Cr0 |= Cr0.PE;
                cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, AccessRights = 0xC09B };
                for (int s = 0; s < SegmentIndex.Count; s++)
                    if (s != SegmentIndex.Cs) cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, AccessRights = 0xC093 };
                cpu.Gpr[Gpr.Rsp] = StackTop;
                cpu.Rip = CodeAddress;
                break;
            default:
                cpu.Cr0 |= Cr0.PE | Cr0.PG;
                cpu.Cr4 |= Cr4.PAE;
                cpu.Efer |= Efer.LME | Efer.LMA;
                cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, AccessRights = 0x209B };
                for (int s = 0; s < SegmentIndex.Count; s++)
                    if (s != SegmentIndex.Cs) cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, AccessRights = 0xC093 };
                cpu.Gpr[Gpr.Rsp] = StackTop;
                cpu.Rip = CodeAddress;
                break;
        }
        cpu.UpdateMode();
    }

    public StopReason Run(long budget = 100_000) => Svm.Run(budget);

    /// <summary>The exits with code <paramref name="code"/>.</summary>
    public IEnumerable<ObservedExit> ExitsWith(int code) => Exits.Where(e => e.Code == (ulong)code);

    /// <summary>The single exit with code <paramref name="code"/>.</summary>
    public ObservedExit Single(int code) => Assert.Single(ExitsWith(code));

    public void Dispose() => Memory.Dispose();

    sealed class BytesWriter : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
