using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// The VMCB is one 4-KiB page with the fields at the offsets of AMD APM vol.2 Appendix B (Tables B-1,
/// B-2), and Reset builds it the way 2.6.20's init_vmcb did, from the processor's state.
/// </summary>
public class VmcbLayoutTests
{
    static ulong Qword(ReadOnlySpan<byte> page, int offset) => BitConverter.ToUInt64(page.Slice(offset, 8));
    static uint Dword(ReadOnlySpan<byte> page, int offset) => BitConverter.ToUInt32(page.Slice(offset, 4));
    static ushort Word(ReadOnlySpan<byte> page, int offset) => BitConverter.ToUInt16(page.Slice(offset, 2));

    [Fact]
    public void TheSaveAreaHoldsTheGuestStateAtItsArchitecturalOffsets()
    {
        using var g = new SvmGuest(64, a => a.hlt(), setup: s =>
        {
            var cpu = s.Cpu;
            cpu.Gpr[Gpr.Rax] = 0x1111_2222_3333_4444;
            cpu.Gpr[Gpr.Rsp] = 0x8_0000;
            cpu.Cr2 = 0xDEAD_B000;
            cpu.Cr3 = 0x7_0000;
            cpu.Msrs.Star = 0x0023_0010_0000_0000;
            cpu.Msrs.Lstar = 0xFFFF_8000_0000_1000;
            cpu.Msrs.SysenterCs = 0x8;
            cpu.Msrs.KernelGsBase = 0x5000;
            cpu.Segments[SegmentIndex.Fs].Base = 0x7000_0000;
            cpu.Gdtr = new DescriptorTableRegister { Base = 0x1000, Limit = 0x3F };
            cpu.Idtr = new DescriptorTableRegister { Base = 0x2000, Limit = 0xFFF };
        });
        var page = g.Svm.Vmcb.Bytes;
        Assert.Equal(4096, page.Length);
        Assert.Equal(0x1111_2222_3333_4444ul, Qword(page, 0x5F8));   // RAX
        Assert.Equal(0x8_0000ul, Qword(page, 0x5D8));                 // RSP
        Assert.Equal(SvmGuest.CodeAddress, Qword(page, 0x578));       // RIP
        Assert.Equal(2ul, Qword(page, 0x570));                        // RFLAGS (bit 1 reads 1)
        Assert.Equal(0xDEAD_B000ul, Qword(page, 0x640));              // CR2
        Assert.Equal(0x7_0000ul, Qword(page, 0x550));                 // CR3
        Assert.Equal(Cr0.PE | Cr0.PG | Cr0.ET | Cr0.CD | Cr0.NW, Qword(page, 0x558)); // CR0 (reset CD/NW stay)
        Assert.Equal(Cr4.PAE, Qword(page, 0x548));                    // CR4
        Assert.Equal(Efer.LME | Efer.LMA | Efer.SVME, Qword(page, 0x4D0)); // EFER, SVME forced for VMRUN
        Assert.Equal(0xFFFF_0FF0ul, Qword(page, 0x568));              // DR6
        Assert.Equal(0x400ul, Qword(page, 0x560));                    // DR7
        Assert.Equal(0x0023_0010_0000_0000ul, Qword(page, 0x600));    // STAR
        Assert.Equal(0xFFFF_8000_0000_1000ul, Qword(page, 0x608));    // LSTAR
        Assert.Equal(0x5000ul, Qword(page, 0x620));                   // KernelGsBase
        Assert.Equal(0x8ul, Qword(page, 0x628));                      // SYSENTER_CS
        Assert.Equal(0x3Fu, Dword(page, 0x464));                      // GDTR limit
        Assert.Equal(0x1000ul, Qword(page, 0x468));                   // GDTR base
        Assert.Equal(0xFFFu, Dword(page, 0x484));                     // IDTR limit
        Assert.Equal(0x2000ul, Qword(page, 0x488));                   // IDTR base
        // CS: selector 8, attributes = type B | S | P (0x9B) with L (bit 9) in the 12-bit SVM format.
        Assert.Equal(0x08, Word(page, 0x410));
        Assert.Equal(0x29B, Word(page, 0x412));
        Assert.Equal(0xFFFF_FFFFu, Dword(page, 0x414));
        // DS: D/B (bit 10) and G (bit 11) from descriptor bits 54 and 55.
        Assert.Equal(0xC93, Word(page, 0x432));
        Assert.Equal(0x7000_0000ul, Qword(page, 0x448));              // FS base
        Assert.Equal(0, page[0x4CB]);                                  // CPL
    }

    [Fact]
    public void ResetInstallsTheInterceptsOf2620InitVmcb()
    {
        using var g = new SvmGuest(64, a => a.hlt());
        var page = g.Svm.Vmcb.Bytes;
        Assert.Equal(0b1_1001, Word(page, 0x000));                    // CR0, CR3, CR4 reads
        Assert.Equal(0b1_1001, Word(page, 0x002));                    // and writes
        Assert.Equal(0x000F, Word(page, 0x004));                      // DR0-3 reads
        Assert.Equal(0x00AF, Word(page, 0x006));                      // DR0-3, DR5, DR7 writes
        Assert.Equal(1u << 14, Dword(page, 0x008));                   // #PF only
        uint word1 = Dword(page, 0x00C);
        foreach (int bit in new[] { 0, 1, 18, 24, 26, 27, 28, 29, 31 }) Assert.True((word1 & (1u << bit)) != 0, $"word 1 bit {bit}");
        Assert.True((word1 & (1u << 25)) != 0, "INVLPG: intercepted, as a complete VMM must");
        Assert.Equal(0x7Fu, Dword(page, 0x010));                      // VMRUN .. SKINIT
        Assert.Equal(1u << 24, Dword(page, 0x060));                   // V_INTR_MASKING
        // Guest ASID: none yet (ASID 0 is the host's, APM vol.2 §15.16); the first VMRUN's pre_svm_run takes one.
        Assert.Equal(0u, Dword(page, 0x058));
        // 2.6.20's pass-through MSRs: STAR read and write bits clear, EFER intercepted.
        Assert.False(g.Svm.Msrpm.Intercepts(0xC000_0081, false));
        Assert.False(g.Svm.Msrpm.Intercepts(0x174, true));
        Assert.True(g.Svm.Msrpm.Intercepts(0xC000_0080, false));
        Assert.True(g.Svm.Iopm.Intercepts(0x80, 1));
    }

    [Theory]
    [InlineData(0x0000_C09Bu, (ushort)0xC9B)] // 32-bit code: G, D/B
    [InlineData(0x0000_A09Bu, (ushort)0xA9B)] // 64-bit code: G, L
    [InlineData(0x0000_0093u, (ushort)0x093)] // real-mode data
    [InlineData(0x0000_108Bu, (ushort)0x18B)] // busy TSS with AVL
    public void SegmentAttributesMoveTheHighNibbleDownByFour(uint accessRights, ushort attrib)
    {
        Assert.Equal(attrib, SegmentAttributes.FromAccessRights(accessRights));
        Assert.Equal(accessRights, SegmentAttributes.ToAccessRights(attrib));
    }

    [Fact]
    public void AnUnusableSegmentIsNotPresentInTheVmcb()
    {
        ushort attrib = SegmentAttributes.FromAccessRights(SegmentRegister.Unusable | 0x93);
        Assert.Equal(0x13, attrib);
        Assert.NotEqual(0u, SegmentAttributes.ToAccessRights(attrib) & SegmentRegister.Unusable);
    }
}
