using System.Text;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Machine.Firmware;
using JitVirt.Machine.Loaders;
using static JitVirt.Loaders.Tests.Support;
using static JitVirt.Loaders.Tests.TestImages;

namespace JitVirt.Loaders.Tests;

public sealed class MultibootLoaderTests
{
    private const ulong Ram = 64 * MiB;
    private static readonly GuestMemoryLayout Memory = GuestMemoryLayout.ForRam(Ram);
    private const uint KernelAt = 0x40_0000;
    private const uint BssSize = 12 * 1024 * 1024; // kvm-unit-tests' BSS can exceed 10 MB

    private static byte[] Kernel(out byte[] text)
    {
        text = Pattern(0x60, 9);
        return Elf32(KernelAt + 0x10, [new ElfSegment(KernelAt, KernelAt, text, (uint)text.Length + BssSize)]);
    }

    private static string CString(PhysicalMemory m, ulong address)
    {
        var sb = new StringBuilder();
        for (byte c; (c = m.ReadByte(address)) != 0; address++) sb.Append((char)c);
        return sb.ToString();
    }

    [Fact]
    public void ElfSegmentLandsAtItsPhysicalAddressWithBssZeroed()
    {
        var elf = Kernel(out var text);
        var image = MultibootLoader.Load(File("kernel.elf", elf), Memory);
        using var memory = new PhysicalMemory(Ram);
        memory.WriteBytes(KernelAt + 0x60 + BssSize - 4, [0xCC, 0xCC, 0xCC, 0xCC]); // stale data in the BSS
        image.Install(memory);
        Assert.Equal(text, Read(memory, KernelAt, text.Length));
        Assert.Equal(new byte[4], Read(memory, KernelAt + 0x60 + BssSize - 4, 4));
    }

    [Fact]
    public void EntryStateIsFlatProtectedModeWithTheBootloaderMagic()
    {
        var image = MultibootLoader.Load(File("kernel.elf", Kernel(out _)), Memory);
        var s = image.Entry;
        Assert.Equal(EntryMode.Protected32, s.Mode);
        Assert.Equal(KernelAt + 0x10ul, s.Rip);
        Assert.Equal(0x2BADB002ul, s.Rax);
        Assert.Equal(0ul, s.Rflags & (Rflags.IF | Rflags.VM));
        Assert.Equal(Cr0.PE, s.Cr0!.Value & (Cr0.PE | Cr0.PG));
        Assert.Equal(0xC09Bu, s.Cs.AccessRights);
        Assert.Equal(0xFFFF_FFFFu, s.Cs.Limit);
        Assert.Equal(0ul, s.Cs.Base);
        foreach (var seg in new[] { s.Ds, s.Es, s.Fs, s.Gs, s.Ss })
        {
            Assert.Equal(0xC093u, seg.AccessRights);
            Assert.Equal(0xFFFF_FFFFu, seg.Limit);
            Assert.Equal(0x18, seg.Selector);
        }

        // The GDT in guest memory holds the descriptors the caches were loaded from.
        using var memory = Installed(image, Ram);
        var gdtr = s.Gdtr!.Value;
        Assert.Equal(31u, gdtr.Limit);
        Assert.Equal(0x00CF_9B00_0000_FFFFul, R64(Read(memory, gdtr.Base + s.Cs.Selector, 8), 0));
        Assert.Equal(0x00CF_9300_0000_FFFFul, R64(Read(memory, gdtr.Base + s.Ds.Selector, 8), 0));
        Assert.Equal(0ul, R64(Read(memory, gdtr.Base, 8), 0));
    }

    [Fact]
    public void InformationStructureDescribesMemoryCmdlineModulesAndMap()
    {
        byte[] initrd = Pattern(5000, 2), second = Pattern(4096, 4);
        var image = MultibootLoader.Load(File("kernel.elf", Kernel(out _)), Memory, "arg=1 -v",
            [File("initrd.img", initrd), File("env.txt", second)]);
        using var memory = Installed(image, Ram);
        ulong info = image.Entry.Rbx;
        Assert.True(info < 0x9FC00, "the info structure is in low memory");
        var mbi = Read(memory, info, MultibootInfo.StructureSize);

        uint flags = R32(mbi, 0);
        Assert.Equal(1u | 4u | 8u | 64u | 512u, flags); // mem, cmdline, mods, mmap, boot_loader_name (§3.3)
        Assert.Equal(639u, R32(mbi, 4));                 // mem_lower: 0x9FC00 / 1 KiB
        Assert.Equal((uint)((Ram - MiB) / 1024), R32(mbi, 8));
        Assert.Equal("kernel.elf arg=1 -v", CString(memory, R32(mbi, 16)));
        Assert.Equal("JitVirt", CString(memory, R32(mbi, 64)));

        Assert.Equal(2u, R32(mbi, 20));
        var mods = Read(memory, R32(mbi, 24), 32);
        uint kernelEnd = KernelAt + 0x60 + BssSize;
        uint mod0 = R32(mods, 0);
        Assert.Equal((kernelEnd + 0xFFFu) & ~0xFFFu, mod0);
        Assert.Equal(mod0 + 5000u, R32(mods, 4));
        Assert.Equal("initrd.img", CString(memory, R32(mods, 8)));
        uint mod1 = R32(mods, 16);
        Assert.Equal(0u, mod1 & 0xFFF);
        Assert.True(mod1 >= mod0 + 5000);
        Assert.Equal("env.txt", CString(memory, R32(mods, 24)));
        Assert.Equal(initrd, Read(memory, mod0, initrd.Length));
        Assert.Equal(second, Read(memory, mod1, second.Length));

        var e820 = E820MemoryMapBuilder.ForRam(Ram).Entries;
        Assert.Equal((uint)(e820.Count * 24), R32(mbi, 44));
        var mmap = Read(memory, R32(mbi, 48), e820.Count * 24);
        for (int i = 0; i < e820.Count; i++)
        {
            Assert.Equal(20u, R32(mmap, i * 24));
            Assert.Equal(e820[i].Base, R64(mmap, i * 24 + 4));
            Assert.Equal(e820[i].Length, R64(mmap, i * 24 + 12));
            Assert.Equal((uint)e820[i].Type, R32(mmap, i * 24 + 20));
        }
    }

    [Fact]
    public void InfoStructureAvoidsAKernelLinkedInLowMemory()
    {
        var text = Pattern(0x3000, 1);
        var elf = Elf32(0x1000, [new ElfSegment(0x1000, 0x1000, text, 0x8000)]);
        var image = MultibootLoader.Load(File("low.elf", elf), Memory);
        ulong info = image.Entry.Rbx, gdt = image.Entry.Gdtr!.Value.Base;
        Assert.True(info >= 0x9000 || info + 200 <= 0x1000);
        Assert.True(gdt >= 0x9000);
        using var memory = Installed(image, Ram);
        Assert.Equal(text, Read(memory, 0x1000, text.Length));
    }

    [Fact]
    public void VirtualEntryPointIsTranslatedToItsPhysicalCopy()
    {
        var elf = Elf32(0xC010_0020, [new ElfSegment(0xC010_0000, 0x10_0000, Pattern(0x100, 0), 0x100)]);
        Assert.Equal(0x10_0020ul, MultibootLoader.Load(File("high.elf", elf), Memory).Entry.Rip);
    }

    [Fact]
    public void AoutKludgeLoadsByTheHeaderAddressFields()
    {
        // A flat binary: Multiboot header at offset 0 with flag 16; the file maps to load_addr 0x100000.
        var b = Pattern(0x400, 8);
        WriteMultibootHeader(b, 0, 0x10003);
        U32(b, 12, 0x100000);          // header_addr
        U32(b, 16, 0x100000);          // load_addr
        U32(b, 20, 0x100300);          // load_end_addr: the last 0x100 bytes are not loaded
        U32(b, 24, 0x102000);          // bss_end_addr
        U32(b, 28, 0x100040);          // entry_addr
        var image = MultibootLoader.Load(File("kernel.bin", b), Memory);
        using var memory = new PhysicalMemory(Ram);
        memory.WriteBytes(0x100300, [1, 2, 3]);
        image.Install(memory);
        Assert.Equal(b[..0x300], Read(memory, 0x100000, 0x300));
        Assert.Equal(new byte[3], Read(memory, 0x100300, 3));
        Assert.Equal(0x100040ul, image.Entry.Rip);
    }

    [Fact]
    public void Elf64WithTheAoutKludgeIsAccepted()
    {
        var elf = Elf32(0, [], elfClass: 2, multibootAt: -1);
        WriteMultibootHeader(elf, 0x40, 0x10000);
        U32(elf, 0x40 + 12, 0x200040);
        U32(elf, 0x40 + 16, 0x200000);
        U32(elf, 0x40 + 20, 0);
        U32(elf, 0x40 + 24, 0);
        U32(elf, 0x40 + 28, 0x200080);
        var image = MultibootLoader.Load(File("kernel64.elf", elf), Memory);
        Assert.Equal(0x200080ul, image.Entry.Rip);
        Assert.Equal((ulong)elf.Length, image.Writes[0].Size);
    }

    [Fact]
    public void VideoRequestIsAnsweredWithTheTextFramebuffer()
    {
        var elf = Kernel(out _);
        WriteMultibootHeader(elf, 0x80, 0x7);
        var image = MultibootLoader.Load(File("kernel.elf", elf), Memory);
        using var memory = Installed(image, Ram);
        var mbi = Read(memory, image.Entry.Rbx, MultibootInfo.StructureSize);
        Assert.NotEqual(0u, R32(mbi, 0) & (1u << 12));
        Assert.Equal(0xB8000ul, R64(mbi, 88));
        Assert.Equal(2, mbi[109]);
    }

    [Fact]
    public void AppliedToACpuItRunsIn32BitProtectedMode()
    {
        var image = MultibootLoader.Load(File("kernel.elf", Kernel(out _)), Memory);
        using var physical = new PhysicalMemory(Ram);
        var cpu = new JitVirt.Cpu.Cpu(physical, new IdentityTranslator());
        image.Boot(cpu);
        Assert.Equal(JitVirt.Cpu.OperatingMode.Protected, cpu.Mode);
        Assert.Equal(JitVirt.Frontend.CodeMode.Bits32, cpu.CodeMode);
        Assert.Equal(0x2BADB002ul, cpu.Gpr[Gpr.Rax]);
        Assert.Equal(image.Entry.Rbx, cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(KernelAt + 0x10ul, cpu.Rip);
        Assert.Equal(image.Entry.Gdtr!.Value.Base, cpu.Gdtr.Base);
        Assert.False(cpu.InterruptFlag);
        Assert.Equal(4, cpu.StackAddressSize);
    }

    // ---- malformed images ----

    [Fact]
    public void MissingHeaderIsRejected() =>
        Fails(() => MultibootLoader.Load(File("kernel.elf", Elf32(0, [new ElfSegment(KernelAt, KernelAt, [1], 1)], multibootAt: -1)), Memory),
            "kernel.elf", "no header magic");

    [Fact]
    public void HeaderBeyond8KiBIsNotFound()
    {
        var b = new byte[0x3000];
        WriteMultibootHeader(b, 0x2000, 0);
        Fails(() => MultibootLoader.Load(File("far.bin", b), Memory), "far.bin", "8192");
    }

    [Fact]
    public void BadChecksumIsRejected() =>
        Fails(() => MultibootLoader.Load(File("kernel.elf", Elf32(0, [new ElfSegment(KernelAt, KernelAt, [1], 1)], badChecksum: true)), Memory),
            "kernel.elf", "checksum");

    [Fact]
    public void UnknownRequiredFlagIsRejected() =>
        Fails(() => MultibootLoader.Load(File("kernel.elf", Elf32(0, [new ElfSegment(KernelAt, KernelAt, [1], 1)], multibootFlags: 1u << 3)), Memory),
            "kernel.elf", "requires features");

    [Fact]
    public void OverlappingSegmentsAreRejected()
    {
        var elf = Elf32(KernelAt, [new ElfSegment(KernelAt, KernelAt, Pattern(0x100, 0), 0x2000), new ElfSegment(KernelAt + 0x1000, KernelAt + 0x1000, Pattern(0x10, 0), 0x10)]);
        Fails(() => MultibootLoader.Load(File("kernel.elf", elf), Memory), "kernel.elf", "overlap");
    }

    [Fact]
    public void SegmentBeyondRamIsRejected()
    {
        var elf = Elf32(KernelAt, [new ElfSegment(KernelAt, KernelAt, Pattern(0x10, 0), 0x1000_0000)]);
        Fails(() => MultibootLoader.Load(File("kernel.elf", elf), Memory), "kernel.elf", "outside guest RAM");
    }

    [Fact]
    public void Elf64WithoutAoutKludgeIsRejected()
    {
        var elf = Elf32(0, [], elfClass: 2);
        Fails(() => MultibootLoader.Load(File("kernel64.elf", elf), Memory), "kernel64.elf", "64-bit ELF");
    }

    [Fact]
    public void SegmentPastTheEndOfTheFileIsRejected()
    {
        var elf = Kernel(out _);
        Fails(() => MultibootLoader.Load(File("kernel.elf", elf[..0x120]), Memory), "kernel.elf", "truncated");
    }

    [Fact]
    public void NonElfWithoutAddressFieldsIsRejected()
    {
        var b = new byte[0x100];
        WriteMultibootHeader(b, 0x10, 0);
        Fails(() => MultibootLoader.Load(File("kernel.bin", b), Memory), "kernel.bin", "neither an ELF");
    }

    [Fact]
    public void ModuleTooLargeForRamIsRejected() =>
        Fails(() => MultibootLoader.Load(File("kernel.elf", Kernel(out _)), Memory, "", [File("huge.img", new byte[60 * 1024 * 1024])]),
            "huge.img", "does not fit");

    [Fact]
    public void AoutFieldsPointingBeforeTheFileAreRejected()
    {
        var b = new byte[0x100];
        WriteMultibootHeader(b, 0, 0x10000);
        U32(b, 12, 0x101000);
        U32(b, 16, 0x100000);
        Fails(() => MultibootLoader.Load(File("kernel.bin", b), Memory), "kernel.bin", "before the start");
    }
}
