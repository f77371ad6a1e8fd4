using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using Xunit;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>Encoders for GDT/IDT entries (SDM vol.3 §3.4.5 Figure 3-8, §7.11 Figure 7-2, §7.14.1 Figure 7-8).</summary>
public static class Descriptors
{
    /// <summary>A code/data/system descriptor. <paramref name="access"/> is byte 5 (P DPL S type), <paramref name="flags"/> the G D/B L AVL nibble.</summary>
    public static ulong Segment(uint baseAddress, uint limit, byte access, byte flags)
        => (limit & 0xFFFFul) | ((ulong)(baseAddress & 0xFF_FFFF) << 16) | ((ulong)access << 40)
           | ((ulong)((limit >> 16) & 0xF) << 48) | ((ulong)(flags & 0xF) << 52) | ((ulong)(baseAddress >> 24) << 56);

    /// <summary>Flat 4 GiB 32-bit code (execute/read), DPL <paramref name="dpl"/>.</summary>
    public static ulong Code32(int dpl) => Segment(0, 0xFFFFF, (byte)(0x9A | dpl << 5), 0xC);
    /// <summary>Flat 4 GiB 32-bit data (read/write), DPL <paramref name="dpl"/>.</summary>
    public static ulong Data32(int dpl) => Segment(0, 0xFFFFF, (byte)(0x92 | dpl << 5), 0xC);
    /// <summary>64-bit code segment (L = 1, D = 0).</summary>
    public static ulong Code64(int dpl) => Segment(0, 0xFFFFF, (byte)(0x9A | dpl << 5), 0xA);
    /// <summary>Available 32-bit (or 64-bit in IA-32e mode) TSS.</summary>
    public static ulong Tss(uint baseAddress, uint limit) => Segment(baseAddress, limit, 0x89, 0);

    /// <summary>An 8-byte IDT gate: type 14 (interrupt), 15 (trap), 6/7 (16-bit), 5 (task).</summary>
    public static ulong Gate(ushort selector, uint offset, int type, int dpl, bool present = true)
        => (offset & 0xFFFFul) | ((ulong)selector << 16) | ((ulong)(type | dpl << 5 | (present ? 0x80 : 0)) << 40)
           | ((ulong)(offset >> 16) << 48);

    /// <summary>A 16-byte IA-32e IDT gate.</summary>
    public static (ulong Low, ulong High) Gate64(ushort selector, ulong offset, int type, int dpl, int ist = 0, bool present = true)
        => (Gate(selector, (uint)offset, type, dpl, present) | ((ulong)ist << 32), offset >> 32);
}

/// <summary>
/// A test machine with a GDT, IDT and TSS in memory and the processor put directly into
/// protected or IA-32e mode (segment caches loaded from the GDT as a far jump would), so system
/// tests need no other instruction family. Every vector's handler is a HLT at
/// <see cref="HandlerAddress"/>; a test reads the frame the processor pushed.
/// </summary>
public sealed class SystemBench : IDisposable
{
    public const ulong GdtBase = 0x1000, IdtBase = 0x2000, TssBase = 0x4000, HandlerBase = 0x20000, CodeBase = 0x10000;
    public const ushort KernelCs = 0x08, KernelDs = 0x10, UserCs = 0x1B, UserDs = 0x23, TssSelector = 0x48, KernelCs64 = 0x30;
    public const uint Ring0StackTop = 0x9000, Ring3StackTop = 0x8000;

    public TestMachine M { get; }
    public Cpu Cpu => M.Cpu;

    public SystemBench(Memory.IAddressTranslator? translator = null)
    {
        TestHalt.EnsureRegistered();
        M = new TestMachine(translator: translator);
    }

    public static ulong HandlerAddress(int vector) => HandlerBase + (ulong)vector * 0x10;

    public void SetGdt(ushort selector, ulong descriptor) => M.Memory.Write(GdtBase + (ulong)(selector & ~7), 8, descriptor);

    public void SetIdt32(int vector, ulong gate) => M.Memory.Write(IdtBase + (ulong)vector * 8, 8, gate);

    public void SetIdt64(int vector, (ulong Low, ulong High) gate)
    {
        M.Memory.Write(IdtBase + (ulong)vector * 16, 8, gate.Low);
        M.Memory.Write(IdtBase + (ulong)vector * 16 + 8, 8, gate.High);
    }

    public uint Read32(ulong address) => (uint)M.Memory.Read(address, 4);
    public ulong Read64(ulong address) => M.Memory.Read(address, 8);

    /// <summary>Loads a segment register cache from the GDT as a segment load would.</summary>
    public void LoadSegment(int seg, ushort selector)
    {
        if ((selector & ~3) == 0) { Cpu.Segments[seg] = new SegmentRegister { Selector = selector, AccessRights = SegmentRegister.Unusable }; return; }
        Assert.True(Cpu.TryReadDescriptor(selector, out var d, out _));
        Cpu.Segments[seg] = d.ToSegmentRegister(selector);
    }

    void CommonTables()
    {
        SetGdt(KernelCs, Descriptors.Code32(0));
        SetGdt(KernelDs, Descriptors.Data32(0));
        SetGdt(UserCs, Descriptors.Code32(3));
        SetGdt(UserDs, Descriptors.Data32(3));
        SetGdt(KernelCs64, Descriptors.Code64(0));
        for (int v = 0; v < 256; v++) M.Memory.WriteByte(HandlerAddress(v), 0xF4); // HLT
        Cpu.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x7F };
    }

    /// <summary>32-bit protected mode, CPL 0, flat segments, a 32-bit TSS with SS0:ESP0 = 10h:9000h, and 256 interrupt gates to HLT stubs.</summary>
    public void EnterProtected32(int gateType = 14)
    {
        Cpu.Reset();
        CommonTables();
        SetGdt(TssSelector, Descriptors.Tss(checked((uint)TssBase), 0x67));
        M.Memory.Write(TssBase + 4, 4, Ring0StackTop);
        M.Memory.Write(TssBase + 8, 2, KernelDs);
        for (int v = 0; v < 256; v++) SetIdt32(v, Descriptors.Gate(KernelCs, (uint)HandlerAddress(v), gateType, 3));
        Cpu.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 256 * 8 - 1 };
        Cpu.Cr0 |= State.Cr0.PE;
        LoadSegment(SegmentIndex.Cs, KernelCs);
        foreach (int s in new[] { SegmentIndex.Ss, SegmentIndex.Ds, SegmentIndex.Es, SegmentIndex.Fs, SegmentIndex.Gs }) LoadSegment(s, KernelDs);
        Assert.True(Cpu.TryReadDescriptor(TssSelector, out var tss, out _));
        Cpu.Tr = tss.ToSegmentRegister(TssSelector);
        Cpu.Tr.AccessRights |= 2; // busy
        Cpu.Gpr[Gpr.Rsp] = Ring0StackTop;
        Cpu.UpdateMode();
        Assert.Equal(OperatingMode.Protected, Cpu.Mode);
    }

    /// <summary>Switches the CPU (already in protected mode) to ring 3 with user CS/SS/DS and ESP = <see cref="Ring3StackTop"/>.</summary>
    public void DropToRing3()
    {
        LoadSegment(SegmentIndex.Cs, UserCs);
        foreach (int s in new[] { SegmentIndex.Ss, SegmentIndex.Ds, SegmentIndex.Es, SegmentIndex.Fs, SegmentIndex.Gs }) LoadSegment(s, UserDs);
        Cpu.Gpr[Gpr.Rsp] = Ring3StackTop;
        Cpu.UpdateMode();
        Assert.Equal(3, Cpu.Cpl);
    }

    /// <summary>IA-32e 64-bit mode at CPL 0: EFER.LME/LMA, CR4.PAE, CR0.PG (identity translator), 64-bit TSS with RSP0 and IST1..7, 16-byte gates.</summary>
    public void EnterLong64(int gateType = 14)
    {
        Cpu.Reset();
        CommonTables();
        SetGdt(TssSelector, Descriptors.Tss(checked((uint)TssBase), 0x67));
        M.Memory.Write(TssSelector + GdtBase + 8, 8, 0); // upper half of the 16-byte TSS descriptor
        M.Memory.Write(TssBase + 4, 8, Ring0StackTop);
        for (int ist = 1; ist <= 7; ist++) M.Memory.Write(TssBase + 0x24 + (ulong)(ist - 1) * 8, 8, 0xA000ul + (ulong)ist * 0x100);
        for (int v = 0; v < 256; v++) SetIdt64(v, Descriptors.Gate64(KernelCs64, HandlerAddress(v), gateType, 3));
        Cpu.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 256 * 16 - 1 };
        Cpu.Cr4 |= State.Cr4.PAE;
        Cpu.Efer |= State.Efer.LME | State.Efer.LMA;
        Cpu.Cr0 |= State.Cr0.PE | State.Cr0.PG;
        LoadSegment(SegmentIndex.Cs, KernelCs64);
        foreach (int s in new[] { SegmentIndex.Ss, SegmentIndex.Ds, SegmentIndex.Es, SegmentIndex.Fs, SegmentIndex.Gs }) LoadSegment(s, KernelDs);
        Assert.True(Cpu.TryReadDescriptor(TssSelector, out var tss, out _, sixteenBytes: true));
        Cpu.Tr = tss.ToSegmentRegister(TssSelector);
        Cpu.Tr.Base = tss.Base64;
        Cpu.Tr.AccessRights |= 2;
        Cpu.Gpr[Gpr.Rsp] = Ring0StackTop;
        Cpu.UpdateMode();
        Assert.Equal(OperatingMode.Long64, Cpu.Mode);
    }

    /// <summary>Assembles guest code at <see cref="CodeBase"/> (or <paramref name="address"/>) and points RIP at it.</summary>
    public byte[] Code(int bitness, Action<Assembler> emit, ulong address = CodeBase)
    {
        var bytes = M.Load(bitness, address, emit);
        Cpu.Rip = address - Cpu.Segments[SegmentIndex.Cs].Base;
        return bytes;
    }

    public StopReason Run(long max = 1000) => M.Run(max);

    public void Dispose() => M.Dispose();
}

/// <summary>
/// HLT belongs to the data-flow family. Until that family is merged, system tests need a way to
/// stop a guest inside a handler, so this registers a minimal HLT (CPL 0, else #GP(0)) only when
/// no family registered one; once the real HLT is in the table it is used unchanged.
/// </summary>
public static unsafe class TestHalt
{
    static readonly object Gate = new();

    public static void EnsureRegistered()
    {
        HandlerTable.EnsureInitialized();
        lock (Gate)
        {
            if (!HandlerTable.IsImplemented(Code.Hlt)) HandlerTable.Set(Code.Hlt, &Hlt);
        }
    }

    static void Hlt(Cpu cpu, in Instruction i)
    {
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        cpu.Pending |= PendingEvent.Halt;
    }
}
