using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>Puts a <see cref="BootState"/> into a processor.</summary>
public static class BootStateApplier
{
    /// <summary>
    /// Resets <paramref name="cpu"/> (SDM vol.3 Table 10-1), then sets the registers, the segment
    /// caches directly (no descriptor loads), GDTR, CR0/CR3/CR4/EFER and RFLAGS from
    /// <paramref name="state"/> and its firmware MSRs, recomputes the mode and drops cached translations.
    /// </summary>
    public static void Apply(JitVirt.Cpu.Cpu cpu, BootState state)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(state);
        cpu.Reset();

        cpu.Gpr[Gpr.Rax] = state.Rax;
        cpu.Gpr[Gpr.Rbx] = state.Rbx;
        cpu.Gpr[Gpr.Rcx] = state.Rcx;
        cpu.Gpr[Gpr.Rdx] = state.Rdx;
        cpu.Gpr[Gpr.Rsi] = state.Rsi;
        cpu.Gpr[Gpr.Rdi] = state.Rdi;
        cpu.Gpr[Gpr.Rbp] = state.Rbp;
        cpu.Gpr[Gpr.Rsp] = state.Rsp;
        cpu.Rip = state.Rip;
        cpu.NextRip = state.Rip;

        cpu.Segments[SegmentIndex.Cs] = state.Cs;
        cpu.Segments[SegmentIndex.Ds] = state.Ds;
        cpu.Segments[SegmentIndex.Es] = state.Es;
        cpu.Segments[SegmentIndex.Fs] = state.Fs;
        cpu.Segments[SegmentIndex.Gs] = state.Gs;
        cpu.Segments[SegmentIndex.Ss] = state.Ss;
        if (state.Gdtr is { } gdtr) cpu.Gdtr = gdtr;

        if (state.Cr0 is { } cr0) cpu.Cr0 = cr0;
        cpu.Cr3 = state.Cr3;
        cpu.Cr4 = state.Cr4;
        cpu.Efer = state.Efer;
        foreach (var (msr, value) in state.Msrs)
            if (!cpu.Msrs.TryWrite(msr, value))
                throw new InvalidOperationException($"boot state: the processor rejects 0x{value:X} in MSR 0x{msr:X}");
        cpu.SetRflags(state.Rflags);
        cpu.UpdateMode();
        cpu.FlushTlb();
        cpu.Translator.Invalidate(cpu, null);
    }
}
