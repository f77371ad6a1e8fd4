using JitVirt.Cpu.State;

namespace JitVirt.IlJit.Tests;

/// <summary>The architectural state the lockstep tests compare, with a readable difference.</summary>
public sealed record ArchState(ulong[] Gpr, ulong Rip, ulong Rflags, ushort[] Selectors, ulong Cr0, ulong Cr2, ulong Cr3, ulong Cr4, ulong Efer,
    long Retired, uint Pending, byte Vector, uint ErrorCode)
{
    public static ArchState Of(JitVirt.Cpu.Cpu cpu)
    {
        var sel = new ushort[SegmentIndex.Count];
        for (int s = 0; s < sel.Length; s++) sel[s] = cpu.Segments[s].Selector;
        return new ArchState((ulong[])cpu.Gpr.Clone(), cpu.Rip, cpu.GetRflags(), sel, cpu.Cr0, cpu.Cr2, cpu.Cr3, cpu.Cr4, cpu.Efer,
            cpu.InstructionsRetired, (uint)cpu.Pending, cpu.PendingException.Vector, cpu.PendingException.ErrorCode);
    }

    /// <summary>Empty when equal, else one line per differing item.</summary>
    public string Diff(ArchState other)
    {
        var d = new List<string>();
        for (int r = 0; r < Gpr.Length; r++) if (Gpr[r] != other.Gpr[r]) d.Add($"GPR{r}: {Gpr[r]:X} vs {other.Gpr[r]:X}");
        for (int s = 0; s < Selectors.Length; s++) if (Selectors[s] != other.Selectors[s]) d.Add($"SEG{s}: {Selectors[s]:X} vs {other.Selectors[s]:X}");
        void Cmp(string n, ulong a, ulong b) { if (a != b) d.Add($"{n}: {a:X} vs {b:X}"); }
        Cmp("RIP", Rip, other.Rip); Cmp("RFLAGS", Rflags, other.Rflags);
        Cmp("CR0", Cr0, other.Cr0); Cmp("CR2", Cr2, other.Cr2); Cmp("CR3", Cr3, other.Cr3); Cmp("CR4", Cr4, other.Cr4); Cmp("EFER", Efer, other.Efer);
        Cmp("retired", (ulong)Retired, (ulong)other.Retired); Cmp("pending", Pending, other.Pending);
        Cmp("vector", Vector, other.Vector); Cmp("error code", ErrorCode, other.ErrorCode);
        return string.Join("; ", d);
    }
}
