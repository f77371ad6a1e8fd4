using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Tests.Support;

/// <summary>Small helpers for focused tests: a layout in fresh RAM and one-call walks.</summary>
public sealed class Walks : IDisposable
{
    public const ulong P = 1ul << 0, RW = 1ul << 1, US = 1ul << 2, PWT = 1ul << 3, PCD = 1ul << 4;
    public const ulong A = 1ul << 5, D = 1ul << 6, PS = 1ul << 7, G = 1ul << 8, XD = 1ul << 63;

    public PhysicalMemory Memory { get; }
    public PagingLayout Layout { get; }
    public RefCpu Cpu { get; set; }

    public Walks(RefMode mode, RefCpu? cpu = null)
    {
        Layout = PagingLayout.For(mode);
        Memory = new PhysicalMemory(Layout.RamBytes);
        Cpu = cpu ?? new RefCpu(WriteProtect: true, Nxe: true, Pse: true);
    }

    /// <summary>Writes the entries (flags per level, top first; the layout supplies the addresses).</summary>
    public ulong[] Set(params ulong[] flags)
    {
        var entries = new ulong[Layout.Levels];
        for (int i = 0; i < entries.Length; i++) entries[i] = Layout.Entry(i, i < flags.Length ? flags[i] : P | RW | US);
        Layout.Write(Memory, entries);
        return entries;
    }

    public ulong Entry(int level) => Layout.Read(Memory, level);

    public WalkResult Walk(AccessKind kind, bool user = false, ulong? linear = null)
    {
        var context = Layout.Context(Cpu);
        return GuestPageWalker.Walk(Memory, in context, linear ?? Layout.Linear, kind, user);
    }

    public void Dispose() => Memory.Dispose();
}
