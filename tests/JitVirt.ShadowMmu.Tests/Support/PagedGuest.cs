using System.Text;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using JitVirt.IlJit;
using JitVirt.Mmu.Walker;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests.Support;

/// <summary>Which translator and which executor a <see cref="PagedGuest"/> runs with.</summary>
public enum Translation { Shadow, Direct }
public enum Tier { Interpreter, Il }

/// <summary>
/// A 64-bit CPL-0 guest with 4-level tables identity-mapping the first 16 MiB with 2 MiB pages,
/// on the shadow MMU or the direct walker, run by the interpreter or the IL tier at threshold 0;
/// port E9h bytes are collected as the console.
/// </summary>
public sealed class PagedGuest : IDisposable
{
    public const ulong RamSize = 16 << 20;
    public const ulong KernelRoot = TableBase;
    const uint Code64 = 0x9B | SegmentRegister.LongMode | SegmentRegister.Granularity;
    const uint FlatData = 0x93 | SegmentRegister.DefaultBig | SegmentRegister.Granularity;

    readonly DebugConsole _console = new();

    public PagedGuest(Translation translation)
    {
        Tables = new GuestTables(Memory, PagingMode.FourLevel);
        ulong pdpt = Tables.NewTable(), pd = Tables.NewTable();
        Tables.Write(Tables.Root, pdpt | P | RW);
        Tables.Write(pdpt, pd | P | RW);
        for (ulong i = 0; i < RamSize >> 21; i++) Tables.Write(pd + i * 8, (i << 21) | P | RW | PS);
        Translator = translation == Translation.Shadow ? new Shadow(Memory) : new GuestPageWalker();
        Cpu = new Processor(Memory, Translator, _console);
    }

    public PhysicalMemory Memory { get; } = new(RamSize);
    public GuestTables Tables { get; }
    public IAddressTranslator Translator { get; }
    public Shadow? Shadow => Translator as Shadow;
    public Processor Cpu { get; }
    public string Console => Encoding.ASCII.GetString(_console.Bytes.ToArray());

    public void Load(ulong address, Action<Assembler> emit)
    {
        var a = new Assembler(64);
        emit(a);
        var writer = new ByteWriter();
        a.Assemble(writer, address);
        Memory.WriteBytes(address, writer.Bytes.ToArray());
    }

    /// <summary>Runs from <paramref name="rip"/> until HLT (interrupts off) or the budget.</summary>
    public StopReason Run(ulong rip, Tier tier, long budget)
    {
        Enter(rip);
        var interpreter = new Interpreter(Cpu);
        IExecutor executor = tier == Tier.Il ? new TieredExecutor(Cpu, interpreter, threshold: 0) : interpreter;
        return executor.Run(budget);
    }

    /// <summary>Puts the processor at <paramref name="rip"/> in 64-bit mode with this guest's tables loaded.</summary>
    public void Enter(ulong rip)
    {
        var cpu = Cpu;
        cpu.Reset();
        for (int s = 0; s < SegmentIndex.Count; s++)
            cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = FlatData };
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = Code64 };
        Tables.Apply(cpu, nxe: false);
        cpu.SetRflags(Rflags.Reserved1);
        cpu.Rip = rip;
        cpu.Gpr[Gpr.Rsp] = 0x7000;
        cpu.UpdateMode();
        cpu.FlushTlb();
    }

    public void Dispose() => Memory.Dispose();

    sealed class DebugConsole : IPortIo
    {
        public readonly List<byte> Bytes = new();
        public uint In(ushort port, int size) => size == 4 ? 0xFFFF_FFFF : (1u << (size * 8)) - 1;
        public void Out(ushort port, int size, uint value) { if (port == 0xE9) Bytes.Add((byte)value); }
    }

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
