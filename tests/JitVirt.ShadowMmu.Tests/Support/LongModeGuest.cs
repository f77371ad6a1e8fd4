using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Mmu.Walker;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests.Support;

/// <summary>
/// A processor in 64-bit mode at CPL 0 under the shadow MMU, with guest 4-level tables that
/// identity-map the first 16 MiB with 2 MiB pages (the hidden segment state is written directly,
/// no descriptor tables). Code is assembled with Iced at its identity-mapped address.
/// </summary>
public sealed class LongModeGuest : IDisposable
{
    public const ulong RamSize = 16 << 20;
    const uint Code64 = 0x9B | SegmentRegister.LongMode | SegmentRegister.Granularity;
    const uint FlatData = 0x93 | SegmentRegister.DefaultBig | SegmentRegister.Granularity;

    public PhysicalMemory Memory { get; } = new(RamSize);
    public GuestTables Tables { get; }
    public Shadow Shadow { get; }
    public Processor Cpu { get; }

    public LongModeGuest()
    {
        Tables = new GuestTables(Memory, PagingMode.FourLevel);
        ulong pdpt = Tables.NewTable(), pd = Tables.NewTable();
        Tables.Write(Tables.Root, pdpt | P | RW);
        Tables.Write(pdpt, pd | P | RW);
        for (ulong i = 0; i < RamSize >> 21; i++) Tables.Write(pd + i * 8, (i << 21) | P | RW | PS);
        Shadow = new Shadow(Memory);
        Cpu = new Processor(Memory, Shadow);
    }

    public void Load(ulong address, Action<Assembler> emit)
    {
        var a = new Assembler(64);
        emit(a);
        var writer = new ByteWriter();
        a.Assemble(writer, address);
        Memory.WriteBytes(address, writer.Bytes.ToArray());
    }

    /// <summary>Runs from <paramref name="rip"/> until HLT (interrupts off) or the budget.</summary>
    public StopReason Run(ulong rip, long budget = 10_000)
    {
        var cpu = Cpu;
        cpu.Reset();
        for (int s = 0; s < SegmentIndex.Count; s++)
            cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = FlatData };
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = Code64 };
        Tables.Apply(cpu);
        cpu.SetRflags(Rflags.Reserved1);
        cpu.Rip = rip;
        cpu.Gpr[Gpr.Rsp] = 0x7000;
        cpu.UpdateMode();
        cpu.FlushTlb();
        return new Interpreter(cpu).Run(budget);
    }

    public void Dispose() => Memory.Dispose();

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
