using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cli.Tests;

/// <summary>Guests beyond the real-mode flat kernels of <see cref="Guests"/>: protected mode, Multiboot, a BIOS ROM, device probes.</summary>
public static class GuestImages
{
    // ---- Protected mode with an IDT (for -d int) ----

    public const uint GdtAddress = 0x7D00, GdtrAddress = 0x7D20, IdtrAddress = 0x7D30;
    public const uint SetupAddress = 0x8000, BodyAddress = 0x8100, UdHandlerAddress = 0x8800, IntHandlerAddress = 0x8900;
    public const uint IdtAddress = 0xA000, StackTop = 0x9000;
    public const byte SoftwareVector = 0x30;
    /// <summary>In the body: mov eax,1234h (B8 id: 5 bytes), then INT 30h (CD ib: 2), mov eax,5678h (5), UD2 (0F 0B: 2).</summary>
    public const uint IntAddress = BodyAddress + 5, Ud2Address = IntAddress + 2 + 5;
    public const ushort CodeSelector = 0x08, DataSelector = 0x10;

    /// <summary>
    /// Enters 32-bit protected mode (flat GDT, IDT with an interrupt gate for #UD and for INT 30h), executes
    /// INT 30h with EAX=1234h and UD2 with EAX=5678h (the #UD handler steps over it), prints "pm\n" and
    /// writes <paramref name="exitValue"/> to isa-debug-exit. Interrupts stay disabled throughout.
    /// </summary>
    public static byte[] ProtectedModeInterrupts(byte exitValue)
    {
        var image = new byte[IdtAddress + 256 * 8 - CliHarness.Origin];
        void Put(uint address, byte[] bytes) => bytes.CopyTo(image, (int)(address - CliHarness.Origin));
        Put(CliHarness.Origin, CliHarness.Assemble(16, CliHarness.Origin, a =>
        {
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.lgdt(__fword_ptr[GdtrAddress]);
            a.mov(eax, cr0);
            a.or(eax, 1); // CR0.PE
            a.mov(cr0, eax);
            a.db(0xEA, unchecked((byte)SetupAddress), (byte)(SetupAddress >> 8), (byte)CodeSelector, 0); // jmp 0008h:8000h (EA cd, 16-bit offset)
        }));
        Put(SetupAddress, CliHarness.Assemble(32, SetupAddress, a =>
        {
            a.mov(ax, DataSelector);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, StackTop);
            a.lidt(__fword_ptr[IdtrAddress]);
            a.jmp((ulong)BodyAddress);
        }));
        Put(BodyAddress, CliHarness.Assemble(32, BodyAddress, a =>
        {
            a.mov(eax, 0x1234);
            a.@int(SoftwareVector);
            a.mov(eax, 0x5678);
            a.ud2();
            CliHarness.Print(a, "pm\n");
            CliHarness.DebugExit(a, exitValue);
        }));
        Put(UdHandlerAddress, CliHarness.Assemble(32, UdHandlerAddress, a =>
        {
            a.add(__dword_ptr[esp], 2); // return past the 2-byte UD2
            a.iretd();
        }));
        Put(IntHandlerAddress, CliHarness.Assemble(32, IntHandlerAddress, a => a.iretd()));
        // Flat 4 GiB code (type 1010b, execute/read) and data (0010b, read/write), DPL 0, 32-bit, G=1 (SDM vol.3 §3.4.5).
        var gdt = image.AsSpan((int)(GdtAddress - CliHarness.Origin));
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[8..], 0x00CF_9A00_0000_FFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[16..], 0x00CF_9200_0000_FFFF);
        var gdtr = image.AsSpan((int)(GdtrAddress - CliHarness.Origin));
        BinaryPrimitives.WriteUInt16LittleEndian(gdtr, 3 * 8 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(gdtr[2..], GdtAddress);
        var idtr = image.AsSpan((int)(IdtrAddress - CliHarness.Origin));
        BinaryPrimitives.WriteUInt16LittleEndian(idtr, 256 * 8 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(idtr[2..], IdtAddress);
        InterruptGate(image, 6, UdHandlerAddress);
        InterruptGate(image, SoftwareVector, IntHandlerAddress);
        return image;
    }

    /// <summary>A 32-bit interrupt gate, present, DPL 0 (SDM vol.3 §7.11, Figure 7-2: type 1110b).</summary>
    private static void InterruptGate(byte[] image, int vector, uint handler)
    {
        var gate = image.AsSpan((int)(IdtAddress - CliHarness.Origin) + vector * 8);
        BinaryPrimitives.WriteUInt32LittleEndian(gate, ((uint)CodeSelector << 16) | (handler & 0xFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(gate[4..], (handler & 0xFFFF_0000) | 0x8E00);
    }

    // ---- Guest errors (real mode) ----

    /// <summary>
    /// Points the real-mode IVT entry of #UD at a handler that prints "ud\n" and exits with
    /// <paramref name="exitValue"/>; then reads and writes (5Ah) port <paramref name="port"/> and executes
    /// CRC32 EAX,ECX. The handler sits right after a 2-byte short JMP at the image's start.
    /// </summary>
    public static byte[] GuestErrors(byte port, byte exitValue) => CliHarness.Assemble(16, CliHarness.Origin, a =>
    {
        var start = a.CreateLabel();
        a.jmp(start);
        CliHarness.Print(a, "ud\n"); // the #UD handler, at 7C02h
        CliHarness.DebugExit(a, exitValue);
        a.Label(ref start);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(__word_ptr[6 * 4], CliHarness.Origin + 2); // IVT entry 6: offset, then segment 0 (SDM vol.3 §20.1.4)
        a.mov(__word_ptr[6 * 4 + 2], 0);
        a.@in(al, port);
        a.mov(al, 0x5A);
        a.@out(port, al);
        a.crc32(eax, ecx);
        CliHarness.SpinForever(a);
    });

    // ---- Multiboot (for -append and -initrd) ----

    public const uint MultibootLoadAddress = 0x10_0000;

    /// <summary>
    /// A Multiboot ELF32 kernel that prints the command line from the Multiboot information (flags bit 2,
    /// cmdline at offset 16), then "|", then the bytes of the first module (bit 3, mods_addr at offset 24;
    /// each module is mod_start, mod_end), then "\n", and exits with 0 (Multiboot 0.6.96 §3.3).
    /// </summary>
    public static byte[] MultibootEcho()
    {
        byte[] code = CliHarness.Assemble(32, MultibootLoadAddress + 12, a =>
        {
            var cmd = a.CreateLabel();
            var cmdDone = a.CreateLabel();
            var mod = a.CreateLabel();
            var modDone = a.CreateLabel();
            a.mov(dx, CliHarness.Com1);
            a.mov(esi, __dword_ptr[ebx + 16]);
            a.Label(ref cmd);
            a.lodsb();
            a.test(al, al);
            a.jz(cmdDone);
            a.@out(dx, al);
            a.jmp(cmd);
            a.Label(ref cmdDone);
            a.mov(al, (byte)'|');
            a.@out(dx, al);
            a.mov(edi, __dword_ptr[ebx + 24]);
            a.mov(esi, __dword_ptr[edi]);
            a.mov(ecx, __dword_ptr[edi + 4]);
            a.sub(ecx, esi);
            a.Label(ref mod);
            a.jecxz(modDone);
            a.lodsb();
            a.@out(dx, al);
            a.dec(ecx);
            a.jmp(mod);
            a.Label(ref modDone);
            a.mov(al, (byte)'\n');
            a.@out(dx, al);
            CliHarness.DebugExit(a, 0);
        });
        var segment = new byte[12 + code.Length];
        const uint magic = 0x1BADB002, flags = 0x3; // header magic; flags: page-align modules, memory information
        BinaryPrimitives.WriteUInt32LittleEndian(segment, magic);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(8), unchecked(0u - magic - flags));
        code.CopyTo(segment, 12);
        return Elf32(segment, entry: MultibootLoadAddress + 12);
    }

    /// <summary>An ELF32 i386 executable with one PT_LOAD at <see cref="MultibootLoadAddress"/> right after the headers (System V ABI).</summary>
    private static byte[] Elf32(byte[] segment, uint entry)
    {
        const int headerSize = 52, phSize = 32, dataOffset = headerSize + phSize;
        var elf = new byte[dataOffset + segment.Length];
        var e = elf.AsSpan();
        e[0] = 0x7F; e[1] = (byte)'E'; e[2] = (byte)'L'; e[3] = (byte)'F';
        e[4] = 1; e[5] = 1; e[6] = 1; // ELFCLASS32, ELFDATA2LSB, EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], 3); // EM_386
        BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], entry);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], headerSize); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(e[40..], headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[42..], phSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[44..], 1);
        var ph = e[headerSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1); // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], dataOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[8..], MultibootLoadAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[12..], MultibootLoadAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[16..], (uint)segment.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[20..], (uint)segment.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[24..], 7); // RWX
        BinaryPrimitives.WriteUInt32LittleEndian(ph[28..], 0x1000);
        segment.CopyTo(elf, dataOffset);
        return elf;
    }

    // ---- A BIOS ROM (for -bios) ----

    public const int RomSize = 64 * 1024;

    /// <summary>
    /// A 64 KiB ROM: at the reset vector (offset FFF0h, physical FFFFFFF0h) a far JMP F000:0000, which is the
    /// ROM's first byte in its copy below 1 MiB (F0000h); there it prints <paramref name="text"/> and exits.
    /// </summary>
    public static byte[] BiosRom(string text, byte exitValue)
    {
        var rom = new byte[RomSize];
        CliHarness.Assemble(16, 0, a =>
        {
            CliHarness.Print(a, text);
            CliHarness.DebugExit(a, exitValue);
        }).CopyTo(rom, 0);
        new byte[] { 0xEA, 0x00, 0x00, 0x00, 0xF0 }.CopyTo(rom, 0xFFF0); // jmp ptr16:16 F000:0000
        return rom;
    }

    // ---- Device probes ----

    /// <summary>Writes 112A3344h to pc-testdev's scratch register (E0h), reads back its byte lane 2 (E2h) and exits with it.</summary>
    public static byte[] PcTestDevScratch() => CliHarness.Assemble(16, CliHarness.Origin, a =>
    {
        a.mov(eax, 0x112A_3344);
        a.@out(0xE0, eax);
        a.@in(al, 0xE2);
        a.@out((byte)CliHarness.DebugExitPort, al);
        CliHarness.SpinForever(a);
    });

    public const byte PciFound = 1, PciNotFound = 2;

    /// <summary>
    /// Scans PCI bus 0, devices 0-31, function 0 through configuration mechanism #1 (CF8h address with the
    /// enable bit 31 and the device at bits 15:11, CFCh data) for vendor 1B36h device 0005h (QEMU's
    /// pci-testdev); exits with <see cref="PciFound"/> or <see cref="PciNotFound"/>.
    /// </summary>
    public static byte[] PciTestDevProbe() => CliHarness.Assemble(16, CliHarness.Origin, a =>
    {
        var next = a.CreateLabel();
        var found = a.CreateLabel();
        a.xor(ebx, ebx); // device number
        a.Label(ref next);
        a.mov(eax, ebx);
        a.shl(eax, 11);
        a.or(eax, 0x8000_0000);
        a.mov(dx, 0xCF8);
        a.@out(dx, eax);
        a.mov(dx, 0xCFC);
        a.@in(eax, dx);
        a.cmp(eax, 0x0005_1B36); // device ID in the high word, vendor ID in the low word
        a.je(found);
        a.inc(ebx);
        a.cmp(ebx, 32);
        a.jb(next);
        CliHarness.DebugExit(a, PciNotFound);
        a.Label(ref found);
        CliHarness.DebugExit(a, PciFound);
    });

    /// <summary>Writes <paramref name="text"/> to the Bochs/QEMU debug console port E9h, then exits.</summary>
    public static byte[] PrintOnPortE9(string text, byte exitValue) => CliHarness.Assemble(16, CliHarness.Origin, a =>
    {
        foreach (byte b in Encoding.ASCII.GetBytes(text))
        {
            a.mov(al, b);
            a.@out(0xE9, al);
        }
        CliHarness.DebugExit(a, exitValue);
    });

    /// <summary>Prints <paramref name="text"/> on COM1, then writes <paramref name="value"/> to the byte port <paramref name="exitPort"/>.</summary>
    public static byte[] PrintThenExitAt(string text, ushort exitPort, byte value) => CliHarness.Assemble(16, CliHarness.Origin, a =>
    {
        CliHarness.Print(a, text);
        a.mov(dx, exitPort);
        a.mov(al, value);
        a.@out(dx, al);
        CliHarness.SpinForever(a);
    });
}
