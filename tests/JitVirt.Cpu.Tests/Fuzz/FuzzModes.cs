using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Tests.Fuzz;

/// <summary>The execution modes the fuzzer runs random code in, and how to put a processor there.</summary>
public enum FuzzMode { Real, Protected16, Protected32, Virtual8086, Compatibility, Long64 }

static class FuzzModeSetup
{
    public const ulong GdtBase = 0x1000;
    public const ulong CodeBase = 0x10_000;
    public const int CodeSize = 0x1000;

    // GDT selectors (SDM vol.3 §3.4.5): 0x08 code32, 0x10 data32, 0x18 code16, 0x20 data16, 0x28 code64.
    public static readonly ulong[] Gdt =
    {
        0,
        0x00CF_9B00_0000_FFFF, // 0x08: 32-bit code, base 0, 4 GiB
        0x00CF_9300_0000_FFFF, // 0x10: 32-bit data
        0x0000_9B00_0000_FFFF, // 0x18: 16-bit code, 64 KiB
        0x0000_9300_0000_FFFF, // 0x20: 16-bit data
        0x00AF_9B00_0000_FFFF, // 0x28: 64-bit code (L=1)
        0x00CF_FB00_0000_FFFF, // 0x30: 32-bit code DPL 3
        0x00CF_F300_0000_FFFF, // 0x38: 32-bit data DPL 3
    };

    public static void Enter(Cpu cpu, FuzzMode mode, ulong rip)
    {
        cpu.Reset();
        cpu.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = (uint)(Gdt.Length * 8 - 1) };
        switch (mode)
        {
            case FuzzMode.Real:
                for (int s = 0; s < SegmentIndex.Count; s++) cpu.LoadRealModeSegment(s, (ushort)(CodeBase >> 4));
                cpu.Gpr[State.Gpr.Rsp] = 0xFFF0;
                cpu.Rip = rip - CodeBase;
                return;
            case FuzzMode.Virtual8086:
                cpu.Cr0 |= State.Cr0.PE;
                for (int s = 0; s < SegmentIndex.Count; s++)
                    cpu.Segments[s] = new SegmentRegister { Selector = (ushort)(CodeBase >> 4), Base = CodeBase, Limit = 0xFFFF, AccessRights = 0xF3 };
                cpu.SetRflags(Rflags.Reserved1 | Rflags.VM);
                cpu.Gpr[State.Gpr.Rsp] = 0xFFF0;
                cpu.Rip = rip - CodeBase;
                cpu.UpdateMode();
                return;
        }
        cpu.Cr0 |= State.Cr0.PE;
        ushort cs, ds;
        switch (mode)
        {
            case FuzzMode.Protected16: cs = 0x18; ds = 0x20; break;
            case FuzzMode.Protected32: cs = 0x08; ds = 0x10; break;
            case FuzzMode.Compatibility: cs = 0x08; ds = 0x10; EnterLongMode(cpu); break;
            default: cs = 0x28; ds = 0x10; EnterLongMode(cpu); break;
        }
        for (int s = 0; s < SegmentIndex.Count; s++)
            cpu.Segments[s] = new State.SegmentDescriptor(Gdt[ds >> 3]).ToSegmentRegister(ds);
        cpu.Segments[SegmentIndex.Cs] = new State.SegmentDescriptor(Gdt[cs >> 3]).ToSegmentRegister(cs);
        cpu.Gpr[State.Gpr.Rsp] = CodeBase - 0x10;
        cpu.Rip = mode == FuzzMode.Protected16 ? rip & 0xFFFF : rip;
        if (mode == FuzzMode.Protected16)
        {
            cpu.Segments[SegmentIndex.Cs].Base = CodeBase & ~0xFFFFul;
            cpu.Rip = rip - (CodeBase & ~0xFFFFul);
        }
        cpu.UpdateMode();
    }

    static void EnterLongMode(Cpu cpu)
    {
        cpu.Cr4 |= State.Cr4.PAE;
        cpu.Efer |= State.Efer.LME | State.Efer.LMA;
        cpu.Cr0 |= State.Cr0.PG;
    }
}
