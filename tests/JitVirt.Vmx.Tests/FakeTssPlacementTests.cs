using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// The fake TSS of the virtual-8086 real-mode path sits in the top three pages of guest RAM, which
/// are the guest's own memory (a Linux loader puts the initrd there: Debian's 6.1 kernel reported
/// "Initramfs unpacking failed: broken padding" under VMX when the VMM overwrote them at setup).
/// The VMM may use those pages only while the guest is in real mode, and must give them back.
/// </summary>
public sealed class FakeTssPlacementTests
{
    const int TopPages = 3 * 4096;

    /// <summary>A pattern no TSS image contains: byte k of the top three pages is (k * 7 + 3) mod 256.</summary>
    static byte[] Pattern()
    {
        var bytes = new byte[TopPages];
        for (int k = 0; k < bytes.Length; k++) bytes[k] = (byte)(k * 7 + 3);
        return bytes;
    }

    static ulong TopBase(JitVirt.Cpu.Cpu cpu) => cpu.Physical.RamSize - TopPages;

    static byte[] ReadTop(JitVirt.Cpu.Cpu cpu)
    {
        var bytes = new byte[TopPages];
        cpu.Physical.ReadBytes(TopBase(cpu), bytes);
        return bytes;
    }

    static uint Dword(byte[] bytes, int offset) => BitConverter.ToUInt32(bytes, offset);

    [Fact]
    public void ProtectedModeGuestSeesItsOwnBytesInTheTopPagesOfRam()
    {
        // Offsets where the TSS image has its non-zero bytes (I/O map base at 0x66, the final FF at
        // 0x68 + 32 + 8192 = 0x2088) and one inside the zero-filled I/O map.
        int[] offsets = [0x64, 0x2085, 0x1000];
        var pattern = Pattern();
        ulong top = 4ul << 20;   // BareMetal's RAM size
        using var g = new VmxGuest(a =>
        {
            foreach (int offset in offsets)
            {
                a.mov(eax, __dword_ptr[(uint)(top - TopPages) + (uint)offset]);
                a.@out(0x80, eax);
            }
            a.hlt();
        }, setup: cpu => cpu.Physical.WriteBytes(TopBase(cpu), Pattern()));
        Assert.Equal(top, g.Cpu.Physical.RamSize);

        Assert.Equal(StopReason.Halted, g.Run());

        Assert.Equal(offsets.Select(o => Dword(pattern, o)).ToArray(), g.Ports.Accesses.Select(x => x.Value).ToArray());
        Assert.Equal(pattern, ReadTop(g.Cpu));
    }

    [Fact]
    public void RealModeGuestGetsTheFakeTssAndTheTopPagesComeBackWhenItEntersProtectedMode()
    {
        const ulong boot = 0x7C00, gdt = 0x6000, gdtrImage = 0x7F00;
        var pattern = Pattern();
        var topAtIo = new List<byte[]>();
        using var g = new VmxGuest(a => a.hlt(), setup: cpu =>
        {
            cpu.Reset();
            cpu.Segments[SegmentIndex.Cs] = SegmentRegister.RealMode(0, SegmentRegister.RealModeCode);
            cpu.Rip = boot;
            cpu.Gpr[Gpr.Rsp] = 0x7000;
            cpu.UpdateMode();
            cpu.Physical.WriteBytes(TopBase(cpu), Pattern());
            cpu.Physical.WriteBytes(gdt, BitConverter.GetBytes(0ul));
            cpu.Physical.WriteBytes(gdt + 8, BitConverter.GetBytes(0x00CF_9A00_0000_FFFFul));    // flat 32-bit code
            cpu.Physical.WriteBytes(gdtrImage, [0x0F, 0x00, 0x00, 0x60, 0, 0]);                   // limit 0F, base 6000
            var code = VmxGuest.Encode(16, a =>
            {
                a.mov(al, 0x11); a.@out(0x80, al);                 // an I/O exit while on the vm86 path
                a.lgdt(__[gdtrImage]);
                a.mov(eax, cr0); a.or(al, 1); a.mov(cr0, eax);     // leaves real mode
            });
            cpu.Physical.WriteBytes(boot, code);
            ulong pm = boot + (ulong)code.Length + 8;
            cpu.Physical.WriteBytes(boot + (ulong)code.Length, [0x66, 0xEA, (byte)pm, (byte)(pm >> 8), 0, 0, 0x08, 0x00]);
            cpu.Physical.WriteBytes(pm, VmxGuest.Encode(32, a => { a.mov(al, 0x13); a.@out(0x83, al); a.hlt(); }));
        });
        g.Vmx.ExitObserved = e => { if (e.BasicReason == 30) topAtIo.Add(ReadTop(g.Cpu)); };

        Assert.Equal(StopReason.Halted, g.Run());

        Assert.Equal(new ushort[] { 0x80, 0x83 }, g.Ports.Accesses.Select(x => x.Port).ToArray());
        Assert.Equal(2, topAtIo.Count);
        // In real mode the TSS is there (SDM vol.3 Figure 8-2: I/O map base is the word at +0x66;
        // vol.1 §19.5.2: the byte after the I/O map is FF); the guest's bytes are back afterwards.
        Assert.Equal(0x88, BitConverter.ToUInt16(topAtIo[0], 0x66));
        Assert.Equal(0xFF, topAtIo[0][0x68 + 32 + 8192]);
        Assert.Equal(pattern, topAtIo[1]);
        Assert.Equal(pattern, ReadTop(g.Cpu));
        Assert.False(g.Vmx.InRealModePath);
    }
}
