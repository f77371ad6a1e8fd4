using JitVirt.Cpu.State;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>The oracle executors' situation: long mode, paging on, CPL 3 in a 64-bit or 32-bit code segment (shared by the CPU and IL tests).</summary>
public static class OracleUserMode
{
    public static void Enter(Cpu cpu, ExecutionMode mode)
    {
        // As Linux runs user code: PE, PG, MP (WAIT honours TS), NE (native #MF), WP.
        cpu.Cr0 = State.Cr0.PE | State.Cr0.PG | State.Cr0.MP | State.Cr0.ET | State.Cr0.NE | State.Cr0.WP;
        cpu.Cr4 = State.Cr4.PAE | State.Cr4.OSFXSR | State.Cr4.OSXMMEXCPT;
        cpu.Efer = State.Efer.LME | State.Efer.LMA | State.Efer.NXE | State.Efer.SCE;
        uint dpl3 = 3u << SegmentRegister.DplShift;
        uint codeAr = SegmentRegister.Present | SegmentRegister.DescriptorTypeS | 0xB | dpl3
            | (mode == ExecutionMode.Long64 ? SegmentRegister.LongMode : SegmentRegister.DefaultBig);
        uint dataAr = SegmentRegister.Present | SegmentRegister.DescriptorTypeS | 0x3 | dpl3 | SegmentRegister.DefaultBig | SegmentRegister.Granularity;
        // Linux's user selectors: __USER_CS 0x33, __USER32_CS 0x23, __USER_DS 0x2B.
        ushort cs = mode == ExecutionMode.Long64 ? (ushort)0x33 : (ushort)0x23;
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = cs, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = codeAr };
        for (int s = 0; s < SegmentIndex.Count; s++)
            if (s != SegmentIndex.Cs) cpu.Segments[s] = new SegmentRegister { Selector = 0x2B, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = dataAr };
        cpu.UpdateMode();
    }
}
