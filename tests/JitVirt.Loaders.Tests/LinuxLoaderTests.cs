using System.Text;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Machine.Firmware;
using JitVirt.Machine.Loaders;
using static JitVirt.Loaders.Tests.Support;
using static JitVirt.Loaders.Tests.TestImages;

namespace JitVirt.Loaders.Tests;

public sealed class LinuxLoaderTests
{
    private const ulong Ram = 64 * MiB;
    private static readonly GuestMemoryLayout Memory = GuestMemoryLayout.ForRam(Ram);
    private static readonly byte[] KernelCode = Pattern(0x1000, 11);

    private static ImageFile BzImage(ushort version = 0x020F, ushort xloadflags = 1, uint initSize = 0x40_0000, bool relocatable = true,
        uint initrdAddrMax = 0x7FFF_FFFF, byte loadflags = 0x81) =>
        File("bzImage", TestImages.BzImage(KernelCode, version: version, xloadflags: xloadflags, initSize: initSize,
            relocatable: relocatable, initrdAddrMax: initrdAddrMax, loadflags: loadflags));

    [Fact]
    public void SixtyFourBitKernelLandsAtPrefAddressAndEntersLongModeAtPlus0x200()
    {
        var initrd = Pattern(0x3000, 6);
        var image = LinuxLoader.Load(BzImage(), Memory, new LinuxBootOptions { CommandLine = "console=ttyS0 quiet", Initrd = File("initrd.img", initrd) });
        using var memory = Installed(image, Ram);
        Assert.Equal(KernelCode, Read(memory, 0x100_0000, KernelCode.Length));

        var s = image.Entry;
        Assert.Equal(EntryMode.Long64, s.Mode);
        Assert.Equal(0x100_0200ul, s.Rip);
        Assert.Equal(0x7000ul, s.Rsi);
        Assert.Equal(0x10, s.Cs.Selector);
        Assert.Equal(0xA09Bu, s.Cs.AccessRights);           // L=1, D=0
        Assert.Equal(0x18, s.Ds.Selector);
        Assert.Equal(0x18, s.Ss.Selector);
        Assert.Equal(0x18, s.Es.Selector);
        Assert.Equal(Cr0.PE | Cr0.PG, s.Cr0!.Value & (Cr0.PE | Cr0.PG));
        Assert.Equal(Cr4.PAE, s.Cr4 & Cr4.PAE);
        Assert.Equal(Efer.LME | Efer.LMA, s.Efer);
        Assert.Equal(0ul, s.Rflags & Rflags.IF);

        var gdt = Read(memory, s.Gdtr!.Value.Base, 32);
        Assert.Equal(0x00AF_9B00_0000_FFFFul, R64(gdt, 0x10));
        Assert.Equal(0x00CF_9300_0000_FFFFul, R64(gdt, 0x18));

        // Identity map: PML4[0] -> PDPT, PDPT[0..3] -> PDs, PDE i maps i * 2 MiB.
        ulong cr3 = s.Cr3;
        ulong pdpt = R64(Read(memory, cr3, 8), 0);
        Assert.Equal(cr3 + 0x1000 | 3, pdpt);
        var pdpte = Read(memory, cr3 + 0x1000, 32);
        for (int i = 0; i < 4; i++) Assert.Equal(cr3 + 0x2000 + (ulong)i * 0x1000 | 3, R64(pdpte, i * 8));
        Assert.Equal(0x83ul, R64(Read(memory, cr3 + 0x2000, 8), 0));
        Assert.Equal(0x100_0000ul | 0x83, R64(Read(memory, cr3 + 0x2000 + 8 * 8, 8), 0));
        Assert.Equal(0xFFE0_0000ul | 0x83, R64(Read(memory, cr3 + 0x5000 + 511 * 8, 8), 0));
    }

    [Fact]
    public void ZeroPageCarriesTheSetupHeaderCmdlineInitrdAndE820()
    {
        var initrd = Pattern(0x3000, 6);
        var file = BzImage();
        var image = LinuxLoader.Load(file, Memory, new LinuxBootOptions { CommandLine = "console=ttyS0 quiet", Initrd = File("initrd.img", initrd) });
        using var memory = Installed(image, Ram);
        var zp = Read(memory, 0x7000, 4096);

        Assert.Equal(file.Bytes.Span[0x1F1..0x210].ToArray(), zp[0x1F1..0x210]); // copied header up to type_of_loader
        Assert.Equal(0x53726448u, R32(zp, 0x202));
        Assert.Equal(0xFF, zp[0x210]);                          // type_of_loader
        Assert.Equal(0x01, zp[0x211]);                          // LOADED_HIGH kept, CAN_USE_HEAP cleared
        Assert.Equal(0x20000u, R32(zp, 0x228));                 // cmd_line_ptr
        Assert.Equal("console=ttyS0 quiet\0", Encoding.ASCII.GetString(Read(memory, 0x20000, 20)));

        uint ramdisk = R32(zp, 0x218);
        Assert.Equal((uint)((Ram - 0x3000) & ~0xFFFul), ramdisk); // as high as possible, 4 KiB aligned
        Assert.Equal(0x3000u, R32(zp, 0x21C));
        Assert.Equal(initrd, Read(memory, ramdisk, initrd.Length));

        var e820 = E820MemoryMapBuilder.ForRam(Ram).Entries;
        Assert.Equal(e820.Count, zp[0x1E8]);
        for (int i = 0; i < e820.Count; i++)
        {
            Assert.Equal(e820[i].Base, R64(zp, 0x2D0 + i * 20));
            Assert.Equal(e820[i].Length, R64(zp, 0x2D0 + i * 20 + 8));
            Assert.Equal((uint)e820[i].Type, R32(zp, 0x2D0 + i * 20 + 16));
        }
    }

    [Fact]
    public void InitrdStaysBelowInitrdAddrMax()
    {
        var image = LinuxLoader.Load(BzImage(initrdAddrMax: 0x2FF_FFFF), Memory, new LinuxBootOptions { Initrd = File("initrd.img", Pattern(0x2800, 0)) });
        var initrd = image.Writes.Single(w => w.What == "initrd.img");
        Assert.Equal(0x300_0000ul - 0x3000, initrd.Address);
        Assert.True(initrd.End <= 0x300_0000);
    }

    [Fact]
    public void KernelWithout64BitEntryUsesThe32BitProtocolAt1MiB()
    {
        var image = LinuxLoader.Load(BzImage(xloadflags: 0, relocatable: false), Memory);
        using var memory = Installed(image, Ram);
        Assert.Equal(KernelCode, Read(memory, 0x100000, KernelCode.Length));
        var s = image.Entry;
        Assert.Equal(EntryMode.Protected32, s.Mode);
        Assert.Equal(0x100000ul, s.Rip);
        Assert.Equal(0x7000ul, s.Rsi);
        Assert.Equal(0ul, s.Rbx | s.Rbp | s.Rdi);
        Assert.Equal(0x10, s.Cs.Selector);
        Assert.Equal(0xC09Bu, s.Cs.AccessRights);
        Assert.Equal(0x18, s.Ds.Selector);
        Assert.Equal(0ul, s.Cr0!.Value & Cr0.PG);
        Assert.Equal(0x00CF_9B00_0000_FFFFul, R64(Read(memory, s.Gdtr!.Value.Base + 0x10, 8), 0));
    }

    [Fact]
    public void AppliedToACpuItRunsIn64BitMode()
    {
        var image = LinuxLoader.Load(BzImage(), Memory);
        using var physical = new PhysicalMemory(Ram);
        var cpu = new JitVirt.Cpu.Cpu(physical, new IdentityTranslator());
        image.Boot(cpu);
        Assert.Equal(JitVirt.Cpu.OperatingMode.Long64, cpu.Mode);
        Assert.True(cpu.IsLongModeActive);
        Assert.True(cpu.IsPagingEnabled);
        Assert.Equal(0x100_0200ul, cpu.Rip);
        Assert.Equal(0x7000ul, cpu.Gpr[Gpr.Rsi]);
        Assert.Equal(0x500ul, cpu.Gdtr.Base);
        Assert.Equal(0x9000ul, cpu.Cr3);
        Assert.False(cpu.InterruptFlag);
    }

    [Theory]
    [InlineData(0x0000_1000ul, WriteBack)]      // conventional memory
    [InlineData(0x0009_F000ul, WriteBack)]
    [InlineData(0x000B_8000ul, Uncacheable)]    // VGA text buffer in the A0000h-BFFFFh window
    [InlineData(0x000F_0000ul, WriteBack)]      // BIOS area (ROM shadow in RAM)
    [InlineData(0x0100_0000ul, WriteBack)]      // the kernel
    [InlineData(0xDFFF_F000ul, WriteBack)]      // last page below the PCI hole
    [InlineData(0xE000_0000ul, Uncacheable)]    // PCI hole
    [InlineData(0xFEE0_0000ul, Uncacheable)]    // local APIC
    [InlineData(0xFFFF_F000ul, Uncacheable)]
    [InlineData(0x1_0000_0000ul, WriteBack)]    // above 4 GiB: the default type
    public void KernelIsEnteredWithTheMtrrsABiosWouldHaveSet(ulong address, int expectedType)
    {
        var image = LinuxLoader.Load(BzImage(), Memory);
        using var physical = new PhysicalMemory(Ram);
        var cpu = new JitVirt.Cpu.Cpu(physical, new IdentityTranslator());
        image.Boot(cpu);
        Assert.Equal(expectedType, MemoryType(cpu, address));
    }

    private const int Uncacheable = 0, WriteBack = 6;

    /// <summary>The memory type the MTRRs give a physical address, following SDM vol.3 §13.11.2-§13.11.4.1.</summary>
    private static int MemoryType(JitVirt.Cpu.Cpu cpu, ulong address)
    {
        ulong Read(uint msr) { Assert.True(cpu.Msrs.TryRead(msr, out ulong v)); return v; }
        ulong defType = Read(0x2FF);
        if ((defType & (1ul << 11)) == 0) return Uncacheable;                  // E clear: all UC
        if (address < 0x10_0000 && (defType & (1ul << 10)) != 0)               // FE: fixed ranges below 1 MiB
        {
            (uint msr, int field) = address switch
            {
                < 0x8_0000 => (0x250u, (int)(address >> 16)),                     // 8 x 64 KiB
                < 0xA_0000 => (0x258u, (int)((address - 0x8_0000) >> 14)),        // 8 x 16 KiB
                < 0xC_0000 => (0x259u, (int)((address - 0xA_0000) >> 14)),
                _ => (0x268u + (uint)((address - 0xC_0000) >> 15), (int)((address & 0x7FFF) >> 12)), // 8 MSRs of 8 x 4 KiB
            };
            return (int)((Read(msr) >> (8 * field)) & 0xFF);
        }
        int? type = null;
        int variableRanges = (int)(Read(0xFE) & 0xFF);                          // IA32_MTRRCAP.VCNT
        for (int n = 0; n < variableRanges; n++)
        {
            ulong physBase = Read(0x200 + 2 * (uint)n), physMask = Read(0x201 + 2 * (uint)n);
            if ((physMask & (1ul << 11)) == 0) continue;
            ulong mask = physMask & ~0xFFFul;
            if ((address & mask) != (physBase & mask)) continue;
            int t = (int)(physBase & 0xFF);
            type = type is null || t == Uncacheable ? t : type;                // overlaps: UC wins (§13.11.4.1)
        }
        return type ?? (int)(defType & 0xFF);
    }

    // ---- malformed images ----

    [Fact]
    public void TruncatedKernelIsRejected()
    {
        var b = BzImage().Bytes.ToArray();
        Fails(() => LinuxLoader.Load(File("bzImage", b[..(b.Length - 100)]), Memory), "bzImage", "truncated");
    }

    [Fact]
    public void FileEndingInsideTheSetupIsRejected()
    {
        var b = BzImage().Bytes.ToArray();
        Fails(() => LinuxLoader.Load(File("bzImage", b[..0x300]), Memory), "bzImage", "truncated");
        Fails(() => LinuxLoader.Load(File("bzImage", b[..0x100]), Memory), "bzImage", "truncated");
    }

    [Fact]
    public void BadMagicIsRejected()
    {
        var b = BzImage().Bytes.ToArray();
        b[0x202] = (byte)'X';
        Fails(() => LinuxLoader.Load(File("bzImage", b), Memory), "bzImage", "HdrS");
    }

    [Fact]
    public void Protocol205IsRejected() =>
        Fails(() => LinuxLoader.Load(BzImage(version: 0x0205), Memory), "bzImage", "2.05 is too old");

    [Fact]
    public void ZImageIsRejected() =>
        Fails(() => LinuxLoader.Load(BzImage(loadflags: 0), Memory), "bzImage", "zImage");

    [Fact]
    public void KernelTooLargeForRamIsRejected() =>
        Fails(() => LinuxLoader.Load(BzImage(initSize: 100 * 1024 * 1024), Memory), "bzImage", "guest RAM ends");

    [Fact]
    public void InitrdTooLargeIsRejected() =>
        Fails(() => LinuxLoader.Load(BzImage(), Memory, new LinuxBootOptions { Initrd = File("initrd.img", new byte[60 * 1024 * 1024]) }),
            "initrd.img", "does not fit");

    [Fact]
    public void CommandLineTooLongIsRejected() =>
        Fails(() => LinuxLoader.Load(BzImage(), Memory, new LinuxBootOptions { CommandLine = new string('x', 2048) }), "bzImage", "cmdline_size");

    [Fact]
    public void CommandLineOfExactlyCmdlineSizeIsAccepted() =>
        LinuxLoader.Load(BzImage(), Memory, new LinuxBootOptions { CommandLine = new string('x', 2047) });
}
