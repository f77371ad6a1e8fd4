using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// TASK_SWITCH (AMD APM vol.2 §15.9: EXITINFO1 = target TSS selector; EXITINFO2 bit 38 = far JMP,
/// bit 36 = IRET, bit 44 = error code valid) emulated by the front end, and SHUTDOWN on a triple fault.
/// </summary>
public class TaskSwitchAndShutdownTests
{
    const ulong Gdt = 0x1000, TssA = 0x3000, TssB = 0x3100;

    /// <summary>A segment descriptor (SDM vol.3 §3.4.5, Figure 3-8).</summary>
    static ulong Descriptor(uint baseAddress, uint limit, byte access, byte flags)
        => (limit & 0xFFFF) | ((ulong)(baseAddress & 0xFF_FFFF) << 16) | ((ulong)access << 40)
           | ((ulong)((limit >> 16) & 0xF) << 48) | ((ulong)(flags & 0xF) << 52) | ((ulong)(baseAddress >> 24) << 56);

    [Fact]
    public void FarJumpToATssExitsWithTheSelectorAndIsEmulated()
    {
        Label at = default, target = default;
        using var g = new SvmGuest(32, a =>
        {
            at = a.CreateLabel(); target = a.CreateLabel();
            a.mov(eax, 0x1111);
            a.Label(ref at);
            a.db(0xEA, 0, 0, 0, 0, 0x20, 0x00); // jmp far 0020:00000000 (the offset is ignored for a TSS)
            a.hlt();
            a.Label(ref target);
            a.mov(ebx, 0x2222);
            a.hlt();
        }, setup: s =>
        {
            var m = s.Memory;
            m.WriteBytes(Gdt, new byte[8]);
            m.WriteBytes(Gdt + 0x08, BitConverter.GetBytes(Descriptor(0, 0xFFFFF, 0x9A, 0xC)));
            m.WriteBytes(Gdt + 0x10, BitConverter.GetBytes(Descriptor(0, 0xFFFFF, 0x92, 0xC)));
            m.WriteBytes(Gdt + 0x18, BitConverter.GetBytes(Descriptor((uint)TssA, 0x67, 0x8B, 0))); // busy 32-bit TSS (current)
            m.WriteBytes(Gdt + 0x20, BitConverter.GetBytes(Descriptor((uint)TssB, 0x67, 0x89, 0))); // available 32-bit TSS
            s.Cpu.Gdtr = new DescriptorTableRegister { Base = Gdt, Limit = 0x27 };
            s.Cpu.Tr = new SegmentRegister { Selector = 0x18, Base = TssA, Limit = 0x67, AccessRights = 0x8B };
        });
        // TSS B (SDM vol.3 §8.2.1, Figure 8-2): EIP at +0x20, EFLAGS +0x24, ESP +0x38, ES..GS +0x48..+0x5C.
        ulong eip = g.Rip(target);
        void Dword(ulong offset, uint value) => g.Memory.WriteBytes(TssB + offset, BitConverter.GetBytes(value));
        Dword(0x20, (uint)eip);
        Dword(0x24, 2);
        Dword(0x38, 0x8_0000);
        foreach (ulong seg in new ulong[] { 0x48, 0x50, 0x54, 0x58, 0x5C }) Dword(seg, 0x10);
        Dword(0x4C, 0x08);
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(0x7D);
        Assert.Equal(0x20ul, e.Info1);
        Assert.Equal(1ul << 38, e.Info2);
        Assert.Equal(g.Rip(at), e.Rip);
        Assert.Equal(0x2222ul, g.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(0x20, g.Cpu.Tr.Selector);
        // The outgoing task's EIP in TSS A is the instruction after the JMP (7 bytes).
        Assert.Equal((uint)(g.Rip(at) + 7), (uint)g.Memory.Read(TssA + 0x20, 4));
        Assert.Equal(g.Rip(target) + 5, g.Single(0x78).Rip); // mov ebx, imm32 is 5 bytes
    }

    [Fact]
    public void TripleFaultExitsWithShutdown()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.ud2();
        }, setup: s => s.Cpu.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0 });
        Assert.Equal(StopReason.Shutdown, g.Run());
        var e = g.Single(0x7F);
        Assert.Equal((0ul, 0ul), (e.Info1, e.Info2));
        Assert.Equal(1, g.Svm.Exits.Snapshot().Single(r => r.Name == "shutdown").Count);
    }
}
