using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// Guests outside 64-bit mode: real mode through the virtual-8086 path 2.6.20 used (fake TSS,
/// every exception exiting, INT n delivered by the VMM through the IVT, CPL-0 instructions
/// emulated), the switch to protected mode, and a task switch (TASK_SWITCH, SDM vol.3C §26.4.2).
/// </summary>
public sealed class LegacyModeGuestTests
{
    const ulong Boot = 0x7C00, IntHandler = 0x7E00, GdtrImage = 0x7F00, Gdt = 0x6000; // the pseudo-descriptor below spells Gdt as 00 60

    static void WriteGdt(JitVirt.Cpu.Cpu cpu, params ulong[] descriptors)
    {
        for (int k = 0; k < descriptors.Length; k++) cpu.Physical.WriteBytes(Gdt + (ulong)k * 8, BitConverter.GetBytes(descriptors[k]));
    }

    [Fact]
    public void RealModeGuestRunsOnTheVirtual8086PathAndEntersProtectedMode()
    {
        var modesAtIo = new List<OperatingMode>();
        using var g = new VmxGuest(a => a.hlt(), setup: cpu =>
        {
            cpu.Reset();
            cpu.Segments[SegmentIndex.Cs] = SegmentRegister.RealMode(0, SegmentRegister.RealModeCode);
            cpu.Rip = Boot;
            cpu.Gpr[Gpr.Rsp] = 0x7000;
            cpu.UpdateMode();
            // IVT entry 30h → 0000:7E00.
            cpu.Physical.WriteBytes(0x30 * 4, BitConverter.GetBytes((uint)IntHandler));
            cpu.Physical.WriteBytes(IntHandler, VmxGuest.Encode(16, a => { a.mov(al, 0x31); a.@out(0x81, al); a.iret(); }));
            WriteGdt(cpu, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF);
            cpu.Physical.WriteBytes(GdtrImage, [0x17, 0x00, 0x00, 0x60, 0, 0]);
            var code = VmxGuest.Encode(16, a =>
            {
                a.mov(ax, 0x1234); a.mov(ds, ax);                  // a segment load under vm86
                a.mov(al, 0x11); a.@out(0x80, al);
                a.@int(0x30);                                      // through the IVT by the VMM
                a.mov(al, 0x12); a.@out(0x82, al);
                a.xor(ax, ax); a.mov(ds, ax);
                a.lgdt(__[GdtrImage]);                             // #GP(0) in vm86 → emulated
                a.mov(eax, cr0); a.or(al, 1); a.mov(cr0, eax);     // leaves real mode
            });
            cpu.Physical.WriteBytes(Boot, code);
            ulong pm = Boot + (ulong)code.Length + 8;
            // JMP FAR 08:pm with a 32-bit offset (66 EA), then 32-bit code.
            cpu.Physical.WriteBytes(Boot + (ulong)code.Length, [0x66, 0xEA, (byte)pm, (byte)(pm >> 8), 0, 0, 0x08, 0x00]);
            cpu.Physical.WriteBytes(pm, VmxGuest.Encode(32, a => { a.mov(al, 0x13); a.@out(0x83, al); a.hlt(); }));
        });
        g.Vmx.ExitObserved = e => { g.Exits.Add(e); if (e.BasicReason == 30) modesAtIo.Add(g.Cpu.Mode); };
        Assert.True(g.Vmx.InRealModePath);
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(new (ushort, uint)[] { (0x80, 0x11), (0x81, 0x31), (0x82, 0x12), (0x83, 0x13) },
            g.Ports.Accesses.Select(x => (x.Port, x.Value)).ToArray());
        Assert.Equal(new[] { OperatingMode.Virtual8086, OperatingMode.Virtual8086, OperatingMode.Virtual8086, OperatingMode.Protected }, modesAtIo.ToArray());
        Assert.False(g.Vmx.InRealModePath);
        Assert.Equal(Gdt, g.Cpu.Gdtr.Base);
        Assert.Equal(0x17u, g.Cpu.Gdtr.Limit);
        Assert.Equal(0x08, g.Cpu.Segments[SegmentIndex.Cs].Selector);
        // INT 30h arrived as a #GP exit during the delivery of a software interrupt (IDT-vectoring type 4).
        Assert.Contains(g.Exits, e => e.BasicReason == 0 && e.IdtVectoringInfo == (0x8000_0000u | (4u << 8) | 0x30u) && e.InstructionLength == 2);
    }

    [Fact]
    public void RealModeInterruptIsDeliveredThroughTheIvtByTheVmm()
    {
        var source = new TestInterruptSource();
        using var g = new VmxGuest(a => a.hlt(), setup: cpu =>
        {
            cpu.Reset();
            cpu.Segments[SegmentIndex.Cs] = SegmentRegister.RealMode(0, SegmentRegister.RealModeCode);
            cpu.Rip = Boot;
            cpu.Gpr[Gpr.Rsp] = 0x7000;
            cpu.UpdateMode();
            cpu.Interrupts = source;
            cpu.Physical.WriteBytes(0x08 * 4, BitConverter.GetBytes((uint)IntHandler));        // IRQ0 at vector 8, as the BIOS maps it
            cpu.Physical.WriteBytes(IntHandler, VmxGuest.Encode(16, a => { a.mov(al, 0x08); a.@out(0x81, al); a.iret(); }));
            cpu.Physical.WriteBytes(Boot, VmxGuest.Encode(16, a => { a.sti(); a.hlt(); a.mov(al, 0x22); a.@out(0x82, al); a.cli(); a.hlt(); }));
        });
        Assert.Equal(StopReason.Halted, g.Run());                        // STI; HLT with nothing pending
        source.Vector = 0x08;
        Assert.Equal(StopReason.Halted, g.Run());                        // woken: handler through the IVT, IRET, then CLI; HLT
        Assert.Equal(new (ushort, uint)[] { (0x81, 0x08), (0x82, 0x22) }, g.Ports.Accesses.Select(x => (x.Port, x.Value)).ToArray());
        Assert.True(g.Vmx.InRealModePath);
        Assert.Equal(0x7000ul, g.Cpu.Gpr[Gpr.Rsp] & 0xFFFF);             // IRET popped the three words inject_rmode_irq pushed
    }

    /// <summary>An NMI line that rises once the guest has retired <see cref="After"/> instructions.</summary>
    sealed class LateNmi(JitVirt.Cpu.Cpu cpu, long after) : JitVirt.Cpu.Platform.IInterruptSource
    {
        bool _taken;
        public long After => after;
        public bool HasPendingInterrupt => false;
        public byte AcknowledgeInterrupt() => 0;
        public bool HasPendingNmi => !_taken && cpu.InstructionsRetired >= after;
        public void AcknowledgeNmi() => _taken = true;
    }

    [Fact]
    public void NmiArrivingWhileTheGuestRunsExitsAndIsInjected()
    {
        const ulong handler = JitVirt.TestGuests.BareMetal.CodeAddress + 0x800;
        LateNmi? source = null;
        using var g = new VmxGuest(a => { a.nop(); a.sti(); a.nop(); a.nop(); a.hlt(); }, setup: cpu =>
        {
            GuestTables.Install(cpu);
            GuestTables.Gate(cpu, 2, handler);
            cpu.Physical.WriteBytes(handler, VmxGuest.Encode(64, a => { a.mov(al, 2); a.@out(0x82, al); a.hlt(); }));
            cpu.Interrupts = source = new LateNmi(cpu, 1);
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var nmi = g.Exits.First(e => e.BasicReason == 0);
        Assert.Equal(0x8000_0000u | (2u << 8) | 2u, nmi.InterruptionInfo);               // type 2 (NMI), vector 2
        Assert.Equal(new ushort[] { 0x82 }, g.Ports.Accesses.Select(x => x.Port).ToArray()); // the guest's vector-2 handler ran once
        Assert.True(g.Cpu.NmiBlocked);                                                     // blocked until IRET (SDM vol.3 §7.7.1)
    }

    [Fact]
    public void JmpToATssExitsWithTaskSwitchQualificationAndIsEmulated()
    {
        const ulong tss1 = 0x4000, tss2 = 0x5000, target = 0x11000;
        using var g = new VmxGuest(a => a.hlt(), setup: cpu =>
        {
            cpu.Reset();
            WriteGdt(cpu, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF,
                TssDescriptor(tss1, 0x67, busy: true), TssDescriptor(tss2, 0x67, busy: false));
            cpu.Gdtr = new DescriptorTableRegister { Base = Gdt, Limit = 5 * 8 - 1 };
            cpu.Cr0 = Cr0.PE | Cr0.ET;
            cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, AccessRights = 0xC09B };
            for (int s = 0; s < SegmentIndex.Count; s++)
                if (s != SegmentIndex.Cs) cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, AccessRights = 0xC093 };
            cpu.Tr = new SegmentRegister { Selector = 0x18, Base = tss1, Limit = 0x67, AccessRights = 0x8B };
            cpu.Gpr[Gpr.Rsp] = 0x9000;
            cpu.Rip = JitVirt.TestGuests.BareMetal.CodeAddress;
            cpu.UpdateMode();
            // JMP FAR 20:0 (EA ptr16:32), then the new task's code.
            cpu.Physical.WriteBytes(cpu.Rip, [0xEA, 0, 0, 0, 0, 0x20, 0x00]);
            cpu.Physical.WriteBytes(target, VmxGuest.Encode(32, a => { a.mov(al, 0x77); a.@out(0x84, al); a.hlt(); }));
            var t2 = new byte[0x68];
            BitConverter.GetBytes((uint)target).CopyTo(t2, 0x20);       // EIP
            BitConverter.GetBytes(2u).CopyTo(t2, 0x24);                  // EFLAGS
            BitConverter.GetBytes(0x8000u).CopyTo(t2, 0x38);             // ESP
            foreach (int off in new[] { 0x48, 0x50, 0x54, 0x58, 0x5C }) BitConverter.GetBytes(0x10u).CopyTo(t2, off);   // ES SS DS FS GS
            BitConverter.GetBytes(0x08u).CopyTo(t2, 0x4C);               // CS
            cpu.Physical.WriteBytes(tss2, t2);
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var ts = g.Exits.First();
        Assert.Equal(9, ts.BasicReason);
        Assert.Equal(0x20ul | (2ul << 30), ts.Qualification);            // Table 28-2: selector, source 2 = JMP
        Assert.Equal(7u, ts.InstructionLength);                          // EA + 4-byte offset + 2-byte selector
        Assert.Equal(new (ushort, uint)[] { (0x84, 0x77) }, g.Ports.Accesses.Select(x => (x.Port, x.Value)).ToArray());
        Assert.Equal(0x20, g.Cpu.Tr.Selector);
    }

    static ulong TssDescriptor(ulong tssBase, uint limit, bool busy)
        => (limit & 0xFFFF) | ((tssBase & 0xFF_FFFF) << 16) | ((ulong)(busy ? 0x8B : 0x89) << 40) | ((ulong)(limit >> 16 & 0xF) << 48) | ((tssBase >> 24 & 0xFF) << 56);
}
