using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Mmu;

namespace JitVirt.TestGuests;

/// <summary>
/// A processor in 64-bit mode at CPL 0 with flat segments, running a guest assembled in-process,
/// with identity translation unless another translator is given (tests make some pages fault).
/// No devices: guests loop forever and benchmarks bound them by an instruction budget.
/// </summary>
public sealed class BareMetal : IDisposable
{
    public const ulong CodeAddress = 0x10_000;
    public const ulong DataAddress = 0x100_000;

    public PhysicalMemory Memory { get; }
    public JitVirt.Cpu.Cpu Cpu { get; }
    public Interpreter Interpreter { get; }
    public byte[] Code { get; }

    public BareMetal(Action<Assembler> program, IAddressTranslator? translator = null, ulong ramBytes = 4 << 20)
    {
        Memory = new PhysicalMemory(ramBytes);
        Cpu = new JitVirt.Cpu.Cpu(Memory, translator ?? IdentityTranslator.Instance);
        Interpreter = new Interpreter(Cpu);
        var a = new Assembler(64);
        program(a);
        var writer = new BytesWriter();
        a.Assemble(writer, CodeAddress);
        Code = writer.Bytes.ToArray();
        Memory.WriteBytes(CodeAddress, Code);
        Restart();
    }

    /// <summary>Puts the processor at the program's start in 64-bit mode (SDM vol.3 §9.8.5 end state).</summary>
    public void Restart()
    {
        var cpu = Cpu;
        cpu.Reset();
        cpu.Cr0 |= Cr0.PE | Cr0.PG;
        cpu.Cr4 |= Cr4.PAE;
        cpu.Efer |= Efer.LME | Efer.LMA;
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, AccessRights = 0x209B };
        for (int s = 0; s < SegmentIndex.Count; s++)
            if (s != SegmentIndex.Cs) cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, AccessRights = 0xC093 };
        cpu.Gpr[Gpr.Rsp] = DataAddress - 0x100;
        cpu.Rip = CodeAddress;
        cpu.UpdateMode();
    }

    public void Dispose() => Memory.Dispose();

    sealed class BytesWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
