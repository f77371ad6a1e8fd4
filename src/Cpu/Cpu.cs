using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using JitVirt.Frontend;

namespace JitVirt.Cpu;

/// <summary>
/// One x86-64 logical processor: the architectural state and the services instruction semantics
/// need (memory through segmentation and paging, port I/O, exceptions as status values).
/// The class is split by concern over the <c>Cpu.*.cs</c> files; the instruction meanings live in
/// <c>Semantics/</c> and run from <c>Execution/Interpreter.cs</c>.
/// </summary>
public sealed partial class Cpu
{
    public readonly ulong[] Gpr = new ulong[Gpr_Count];
    const int Gpr_Count = State.Gpr.Count;

    /// <summary>RIP of the instruction being executed (architecturally: of the next one to execute).</summary>
    public ulong Rip;

    /// <summary>
    /// RIP of the instruction after the current one. The interpreter sets it before each handler;
    /// control transfers overwrite it; it becomes <see cref="Rip"/> only if the instruction
    /// completes without a fault.
    /// </summary>
    public ulong NextRip;

    /// <summary>Difference between the RIP a block is executing at and the RIP it was decoded with (see <see cref="DecodedBlock"/>).</summary>
    public ulong CodeDelta;

    public readonly SegmentRegister[] Segments = new SegmentRegister[SegmentIndex.Count];
    public SegmentRegister Ldtr, Tr;
    public DescriptorTableRegister Gdtr, Idtr;

    public ulong Cr0 = State.Cr0.ET | State.Cr0.CD | State.Cr0.NW; // reset value 0x60000010, SDM vol.3 §10.1.1 Table 10-1
    public ulong Cr2, Cr3, Cr4;
    public ulong Efer;
    public readonly ulong[] Dr = new ulong[8];

    public readonly ModelSpecificRegisters Msrs;
    public readonly PhysicalMemory Physical;
    public IPortIo Io;
    public IAddressTranslator Translator;
    public IInterruptSource? Interrupts;
    public CpuidModel Cpuid;

    /// <summary>Guest instructions completed since reset.</summary>
    public long InstructionsRetired;

    public Cpu(PhysicalMemory physical, IAddressTranslator translator, IPortIo? io = null)
    {
        Physical = physical;
        Translator = translator;
        Io = io ?? NullPortIo.Instance;
        Msrs = new ModelSpecificRegisters(this);
        Cpuid = new CpuidModel();
        Physical.CodePageWritten += OnCodePageWritten;
        Reset();
    }

    /// <summary>Power-on/RESET state (SDM vol.3 §10.1.1, Table 10-1): real mode at F000:FFF0 with CS base FFFF0000.</summary>
    public void Reset()
    {
        Array.Clear(Gpr);
        Gpr[State.Gpr.Rdx] = CpuidModel.ResetEdx;
        SetRflags(Rflags.Reserved1);
        Rip = 0xFFF0;
        for (int i = 0; i < SegmentIndex.Count; i++) Segments[i] = SegmentRegister.RealMode(0, SegmentRegister.RealModeData);
        Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0xF000, Base = 0xFFFF0000, Limit = 0xFFFF, AccessRights = SegmentRegister.RealModeCode };
        Ldtr = new SegmentRegister { Limit = 0xFFFF, AccessRights = 0x82 }; // LDT type, present (Table 10-1)
        Tr = new SegmentRegister { Limit = 0xFFFF, AccessRights = 0x8B };   // busy 32-bit TSS, present
        Gdtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Idtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Cr0 = State.Cr0.ET | State.Cr0.CD | State.Cr0.NW;
        Cr2 = Cr3 = Cr4 = 0;
        Efer = 0;
        Array.Clear(Dr);
        Dr[6] = 0xFFFF0FF0; // SDM vol.3 §10.1.1
        Dr[7] = 0x400;
        Msrs.Reset();
        ResetFpu();
        Pending = 0;
        InterruptShadow = false;
        Halted = false;
        A20Enabled = true;
        UpdateMode();
        FlushTlb();
    }
}
