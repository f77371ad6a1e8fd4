using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Pc.Tests;

/// <summary>
/// A guest that lives by kvm-unit-tests' x86 conventions, so that the machine is checked against what
/// those binaries expect before any of them is run: a Multiboot ELF32 image linked at 4 MiB with a 12 MiB
/// BSS, entered in 32-bit protected mode with paging off; it reads the Multiboot info (mem_upper, command
/// line, one environment module, memory map), prints through a polled 16550 at 3F8h, reads fw_cfg
/// (selector 05h CPUs, 03h RAM size), masks the 8259s and touches the ELCR, enables the xAPIC and
/// broadcasts INIT/SIPI, scans E0000h–FFFFFh for the RSDP to find the FADT and its PM timer, uses
/// pc-testdev's scratch register (1/2/4-byte and string I/O) and IRQ ports through the I/O APIC, takes a
/// LAPIC timer interrupt, and ends with a 32-bit OUT of its result to isa-debug-exit at F4h.
/// Each check prints "PASS: name" or "FAIL: name", then "SUMMARY: n tests, f unexpected failures"
/// (kvm-unit-tests' report format); the OUT value is 0 when all passed, 1 otherwise, so the run ends
/// with QEMU's status (value &lt;&lt; 1) | 1 = 1 or 3.
/// </summary>
public static class KvmUnitTestsConventionGuest
{
    public const uint LoadAddress = 0x40_0000;   // kvm-unit-tests' x86 link address (x86/flat.lds)
    /// <summary>The code follows the 12-byte Multiboot header at the start of the image, as in kvm-unit-tests' cstart.S.</summary>
    public const uint EntryAddress = LoadAddress + 0x20;
    public const uint DataAddress = LoadAddress + 0x4000;
    public const uint BssAddress = LoadAddress + 0x8000;
    public const uint BssBytes = 12u << 20;      // "can be over 10 MB" (issue 5)
    public const uint StackTop = BssAddress + 0x1_0000;
    public const string KernelName = "conventions.elf";
    public const string Arguments = "alpha beta=1";
    /// <summary>QEMU's Multiboot loader puts the kernel's file name before the -append text (hw/i386/multiboot.c); kvm-unit-tests takes it as argv[0].</summary>
    public const string ExpectedCommandLine = KernelName + " " + Arguments;
    public const string Environment = "TESTNAME=conventions\nFOO=bar\n";

    const byte IoApicVector = 0x60, TimerVector = 0x70;
    const uint ApicBase = 0xFEE0_0000, IoApicBase = 0xFEC0_0000;
    const int IrqLine = 10;                       // an ISA line no legacy device of the machine drives

    // Variables in the data page.
    const uint VarFailures = DataAddress, VarTests = DataAddress + 4, VarMbi = DataAddress + 8, VarIoApicHits = DataAddress + 12,
        VarTimerHits = DataAddress + 16, VarFadt = DataAddress + 20, VarScratch = DataAddress + 24, VarMagic = DataAddress + 28;
    const uint GdtAddress = DataAddress + 0x40, GdtrAddress = DataAddress + 0x60, IdtrAddress = DataAddress + 0x68;
    const uint IdtAddress = DataAddress + 0x800;  // 256 gates × 8 bytes
    const uint StringsAddress = DataAddress + 0x1000;

    /// <summary>The ELF32 image (one PT_LOAD whose memsz covers the BSS).</summary>
    public static byte[] Build(ulong ramBytes)
    {
        // Two passes: 32-bit code cannot take a label's address (no RIP-relative LEA), so the first pass
        // finds the addresses and the second uses them as imm32 (the same size, so nothing moves).
        var labels = new LabelAddresses();
        var first = new Assembler(32);
        Emit(first, new StringTable(StringsAddress), ramBytes, labels);
        var result = first.Assemble(new Writer(), EntryAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
        labels.Resolve(result);
        var strings = new StringTable(StringsAddress);
        var a = new Assembler(32);
        Emit(a, strings, ramBytes, labels);
        var code = Assemble(a, EntryAddress);
        if (code.Length > DataAddress - EntryAddress) throw new InvalidOperationException("guest code overflows into its data page");
        var image = new byte[BssAddress - LoadAddress];
        code.CopyTo(image, (int)(EntryAddress - LoadAddress));
        WriteGdt(image.AsSpan((int)(GdtAddress - LoadAddress)));
        strings.Bytes.CopyTo(image, (int)(StringsAddress - LoadAddress));
        WriteMultibootHeader(image);
        return Elf32(image, BssBytes);
    }

    static void Emit(Assembler a, StringTable s, ulong ramBytes, LabelAddresses labels)
    {
        var print = a.CreateLabel();
        var report = a.CreateLabel();
        var apicHandler = a.CreateLabel();
        var ioapicHandler = a.CreateLabel();
        var reloaded = a.CreateLabel();

        // ---- entry: EAX = magic, EBX = info (Multiboot 0.6.96 §3.2) ----
        a.mov(esp, StackTop);
        a.mov(__dword_ptr[VarMbi], ebx);
        a.push(eax); // keep the magic across the GDT switch
        a.lgdt(__[GdtrAddress]);
        // Reload CS through a far return (Multiboot leaves GDTR undefined; §3.2 "Machine state").
        a.push(0x08);
        a.mov(eax, labels["reloaded"]);
        a.push(eax);
        a.retf();
        a.Label(ref reloaded);
        labels.Track(reloaded, "reloaded");
        a.mov(ax, 0x10);
        a.mov(ds, ax); a.mov(es, ax); a.mov(ss, ax); a.mov(fs, ax); a.mov(gs, ax);
        a.pop(eax);
        a.mov(__dword_ptr[VarMagic], eax);

        Check(a, s, report, "multiboot magic", fail => { a.cmp(__dword_ptr[VarMagic], 0x2BADB002); a.sete(al); });

        // ---- BSS: zeroed by the loader at both ends, and writable ----
        Check(a, s, report, "bss zeroed", fail =>
        {
            a.mov(eax, __dword_ptr[BssAddress + 0x2_0000]);
            a.or(eax, __dword_ptr[BssAddress + BssBytes - 4]);
            a.sete(al);
        });
        Check(a, s, report, "bss writable", fail =>
        {
            a.mov(__dword_ptr[BssAddress + BssBytes - 4], 0xA5A5_5A5A);
            a.cmp(__dword_ptr[BssAddress + BssBytes - 4], 0xA5A5_5A5A);
            a.sete(al);
        });

        // ---- Multiboot info: mem_upper, command line, module, memory map ----
        uint memUpperKiB = (uint)((ramBytes - (1ul << 20)) >> 10);
        Check(a, s, report, "mem_upper", fail =>
        {
            a.mov(ebx, __dword_ptr[VarMbi]);
            a.mov(eax, __dword_ptr[ebx]);
            a.and(eax, 1);                                 // flags bit 0: mem_lower/mem_upper valid
            a.jz(fail);
            a.cmp(__dword_ptr[ebx + 8], memUpperKiB);
            a.sete(al);
        });
        Check(a, s, report, "command line", fail =>
        {
            a.mov(ebx, __dword_ptr[VarMbi]);
            a.test(__dword_ptr[ebx], 1 << 2);
            a.jz(fail);
            a.mov(esi, __dword_ptr[ebx + 16]);
            CompareBytes(a, s.Add(ExpectedCommandLine + "\0"), ExpectedCommandLine.Length + 1);
        });
        Check(a, s, report, "environment module", fail =>
        {
            a.mov(ebx, __dword_ptr[VarMbi]);
            a.test(__dword_ptr[ebx], 1 << 3);
            a.jz(fail);
            a.cmp(__dword_ptr[ebx + 20], 1);               // mods_count
            a.jne(fail);
            a.mov(ebx, __dword_ptr[ebx + 24]);             // mods_addr → {mod_start, mod_end, string, reserved}
            a.mov(eax, __dword_ptr[ebx + 4]);
            a.sub(eax, __dword_ptr[ebx]);
            a.cmp(eax, Environment.Length);
            a.jne(fail);
            a.mov(esi, __dword_ptr[ebx]);
            CompareBytes(a, s.Add(Environment), Environment.Length);
        });
        Check(a, s, report, "memory map", fail =>
        {
            a.mov(ebx, __dword_ptr[VarMbi]);
            a.test(__dword_ptr[ebx], 1 << 6);
            a.jz(fail);
            a.cmp(__dword_ptr[ebx + 44], 24);              // mmap_length: at least one 24-byte entry
            a.jb(fail);
            a.mov(ebx, __dword_ptr[ebx + 48]);             // first entry: size, base (8), length (8), type
            a.cmp(__dword_ptr[ebx + 4], 0);
            a.jne(fail);
            a.cmp(__dword_ptr[ebx + 20], 1);               // type 1: available RAM
            a.sete(al);
        });

        // ---- fw_cfg (QEMU docs/specs/fw_cfg.rst: selector 510h, data 511h, little-endian items) ----
        Check(a, s, report, "fw_cfg cpus", fail =>
        {
            a.mov(dx, 0x510); a.mov(ax, 0x05); a.@out(dx, ax);
            a.mov(dx, 0x511); a.@in(al, dx); a.mov(cl, al); a.@in(al, dx); a.mov(ch, al);
            a.cmp(cx, 1);
            a.sete(al);
        });
        Check(a, s, report, "fw_cfg ram size", fail =>
        {
            a.mov(dx, 0x510); a.mov(ax, 0x03); a.@out(dx, ax);
            a.mov(dx, 0x511);
            a.xor(ebx, ebx);
            for (int i = 0; i < 4; i++) { a.@in(al, dx); a.movzx(eax, al); a.shl(eax, (byte)(8 * i)); a.or(ebx, eax); }
            a.xor(edi, edi);
            for (int i = 0; i < 4; i++) { a.@in(al, dx); a.movzx(eax, al); a.shl(eax, (byte)(8 * i)); a.or(edi, eax); }
            a.cmp(ebx, (uint)ramBytes);
            a.jne(fail);
            a.cmp(edi, (uint)(ramBytes >> 32));
            a.sete(al);
        });

        // ---- 8259s masked, ELCR (PIIX3 4D0h/4D1h) ----
        Check(a, s, report, "8259 masked", fail =>
        {
            a.mov(al, 0xFF); a.@out(0x21, al); a.@out(0xA1, al);
            a.@in(al, 0x21); a.mov(cl, al); a.@in(al, 0xA1); a.and(al, cl);
            a.cmp(al, 0xFF);
            a.sete(al);
        });
        Check(a, s, report, "elcr", fail =>
        {
            a.mov(dx, 0x4D1); a.mov(al, 1 << (IrqLine - 8)); a.@out(dx, al);
            a.@in(al, dx); a.mov(cl, al);
            a.xor(al, al); a.@out(dx, al);                  // back to edge for the pc-testdev check
            a.cmp(cl, 1 << (IrqLine - 8));
            a.sete(al);
        });

        // ---- IDT for the two interrupt checks ----
        Gate(a, IoApicVector, labels["ioapicHandler"]);
        Gate(a, TimerVector, labels["apicHandler"]);
        a.lidt(__[IdtrAddress]);

        // ---- xAPIC: IA32_APIC_BASE, software enable, INIT/SIPI broadcast with one CPU ----
        Check(a, s, report, "apic base msr", fail =>
        {
            a.mov(ecx, 0x1B); a.rdmsr();
            a.and(eax, 0xFFFF_F800);                      // base [31:12] | EN (bit 11)
            a.cmp(eax, ApicBase | 0x800);
            a.sete(al);
        });
        Check(a, s, report, "apic enable", fail =>
        {
            a.mov(__dword_ptr[ApicBase + 0xF0], 0x1FF);   // SVR: APIC software enable | spurious vector FFh
            a.mov(eax, __dword_ptr[ApicBase + 0xF0]);
            a.and(eax, 0x1FF);
            a.cmp(eax, 0x1FF);
            a.sete(al);
        });
        Check(a, s, report, "init/sipi broadcast", fail =>
        {
            a.mov(__dword_ptr[ApicBase + 0x310], 0);
            a.mov(__dword_ptr[ApicBase + 0x300], 0x000C_4500); // INIT, assert, all excluding self (SDM vol.3 §11.6.1)
            WaitIcrIdle(a);
            a.mov(__dword_ptr[ApicBase + 0x300], 0x000C_4608); // SIPI, vector 08h (start at 8000h)
            WaitIcrIdle(a);
            a.mov(eax, __dword_ptr[ApicBase + 0x300]);
            a.test(eax, 1 << 12);                          // delivery status idle
            a.sete(al);
        });

        // ---- ACPI: RSDP scan → RSDT → FACP → PM timer (ACPI 6.x §5.2.5.1, §5.2.9) ----
        Check(a, s, report, "acpi rsdp", fail =>
        {
            var loop = a.CreateLabel(); var found = a.CreateLabel(); var next = a.CreateLabel();
            a.mov(esi, 0xE0000);
            a.Label(ref loop);
            a.cmp(__dword_ptr[esi], BinaryPrimitives.ReadUInt32LittleEndian("RSD "u8));
            a.jne(next);
            a.cmp(__dword_ptr[esi + 4], BinaryPrimitives.ReadUInt32LittleEndian("PTR "u8));
            a.je(found);
            a.Label(ref next);
            a.add(esi, 16);
            a.cmp(esi, 0x10_0000);
            a.jb(loop);
            a.jmp(fail);
            a.Label(ref found);
            // checksum of the 20-byte ACPI 1.0 part is 0
            a.xor(eax, eax); a.xor(ecx, ecx);
            var sum = a.CreateLabel();
            a.Label(ref sum);
            a.add(al, __byte_ptr[esi + ecx]);
            a.inc(ecx); a.cmp(ecx, 20); a.jb(sum);
            a.test(al, al);
            a.jnz(fail);
            a.mov(ebx, __dword_ptr[esi + 16]);             // RsdtAddress
            a.mov(ecx, __dword_ptr[ebx + 4]);              // RSDT length
            a.sub(ecx, 36); a.shr(ecx, 2);                 // entries
            a.lea(edi, __[ebx + 36]);
            var entry = a.CreateLabel(); var facp = a.CreateLabel();
            a.Label(ref entry);
            a.test(ecx, ecx); a.jz(fail);
            a.mov(edx, __dword_ptr[edi]);
            a.cmp(__dword_ptr[edx], BinaryPrimitives.ReadUInt32LittleEndian("FACP"u8));
            a.je(facp);
            a.add(edi, 4); a.dec(ecx); a.jmp(entry);
            a.Label(ref facp);
            a.mov(__dword_ptr[VarFadt], edx);
            a.mov(al, 1);
        });
        Check(a, s, report, "pm timer counts", fail =>
        {
            a.mov(ebx, __dword_ptr[VarFadt]);
            a.test(ebx, ebx);
            a.jz(fail);
            a.mov(edx, __dword_ptr[ebx + 76]);             // PM_TMR_BLK (FADT offset 76)
            a.test(edx, edx); a.jz(fail);
            a.@in(eax, dx); a.and(eax, 0xFF_FFFF); a.mov(ebx, eax);
            a.mov(ecx, 20_000); var spin = a.CreateLabel(); a.Label(ref spin); a.dec(ecx); a.jnz(spin);
            a.@in(eax, dx); a.and(eax, 0xFF_FFFF);
            a.cmp(eax, ebx);
            a.setne(al);
        });

        // ---- pc-testdev scratch register: 4-, 1-, 2-byte and string I/O (QEMU hw/misc/pc-testdev.c) ----
        Check(a, s, report, "pc-testdev scratch", fail =>
        {
            a.mov(eax, 0x1234_5678); a.@out(0xE0, eax);
            a.mov(al, 0xAB); a.@out(0xE1, al);
            a.mov(ax, 0xCDEF); a.@out(0xE2, ax);
            a.@in(eax, 0xE0);
            a.cmp(eax, 0xCDEF_AB78);
            a.sete(al);
        });
        Check(a, s, report, "pc-testdev string io", fail =>
        {
            a.mov(__dword_ptr[VarScratch], 0x0403_0201);
            a.mov(esi, VarScratch); a.mov(dx, 0xE0); a.mov(ecx, 4); a.cld();
            a.rep.outsb();                                  // lane 0 takes 01, 02, 03, 04 in turn
            a.mov(__dword_ptr[VarScratch], 0);
            a.mov(edi, VarScratch); a.mov(ecx, 2);
            a.rep.insb();                                   // reads lane 0 twice
            a.cmp(__word_ptr[VarScratch], 0x0404);
            a.sete(al);
        });

        // ---- pc-testdev IRQ port → I/O APIC pin 10 → vector 60h (82093AA redirection table) ----
        Check(a, s, report, "pc-testdev irq via ioapic", fail =>
        {
            a.mov(__dword_ptr[IoApicBase], 0x10 + 2 * IrqLine + 1);
            a.mov(__dword_ptr[IoApicBase + 0x10], 0);      // destination APIC 0
            a.mov(__dword_ptr[IoApicBase], 0x10 + 2 * IrqLine);
            a.mov(__dword_ptr[IoApicBase + 0x10], IoApicVector); // fixed, physical, edge, high, unmasked
            a.mov(dx, (ushort)(0x2000 + IrqLine));
            a.mov(al, 1); a.@out(dx, al);
            a.sti();
            a.mov(ecx, 100_000); var wait = a.CreateLabel(); var got = a.CreateLabel();
            a.Label(ref wait);
            a.cmp(__dword_ptr[VarIoApicHits], 0); a.jne(got);
            a.dec(ecx); a.jnz(wait);
            a.Label(ref got);
            a.cli();
            a.xor(al, al); a.@out(dx, al);
            a.cmp(__dword_ptr[VarIoApicHits], 1);
            a.sete(al);
        });

        // ---- LAPIC timer, one-shot (SDM vol.3 §11.5.4) ----
        Check(a, s, report, "lapic timer", fail =>
        {
            a.mov(__dword_ptr[ApicBase + 0x3E0], 0xB);      // divide by 1
            a.mov(__dword_ptr[ApicBase + 0x320], TimerVector); // one-shot, unmasked
            a.mov(__dword_ptr[ApicBase + 0x380], 10_000);   // initial count
            var wait = a.CreateLabel(); var got = a.CreateLabel();
            a.mov(ecx, 1000);
            a.Label(ref wait);
            a.sti(); a.hlt(); a.cli();
            a.cmp(__dword_ptr[VarTimerHits], 0); a.jne(got);
            a.dec(ecx); a.jnz(wait);
            a.Label(ref got);
            a.cmp(__dword_ptr[VarTimerHits], 1);
            a.sete(al);
        });

        // ---- summary and isa-debug-exit ----
        a.mov(esi, s.Add("SUMMARY: "));
        a.call(print);
        a.mov(eax, __dword_ptr[VarTests]);
        PrintDecimal(a, print, s);
        a.mov(esi, s.Add(" tests, "));
        a.call(print);
        a.mov(eax, __dword_ptr[VarFailures]);
        PrintDecimal(a, print, s);
        a.mov(esi, s.Add(" unexpected failures\n"));
        a.call(print);
        a.xor(eax, eax);
        a.cmp(__dword_ptr[VarFailures], 0);
        a.setne(al);
        a.@out(0xF4, eax);
        var stop = a.CreateLabel();
        a.Label(ref stop);
        a.cli(); a.hlt(); a.jmp(stop);

        // ---- subroutines ----
        // print: ESI = NUL-terminated string; polls LSR.THRE (16550A datasheet, LSR bit 5).
        a.Label(ref print);
        {
            var next = a.CreateLabel(); var wait = a.CreateLabel(); var end = a.CreateLabel();
            a.push(eax); a.push(edx);
            a.Label(ref next);
            a.mov(dx, 0x3FD);
            a.Label(ref wait);
            a.@in(al, dx); a.test(al, 0x20); a.jz(wait);
            a.lodsb();
            a.test(al, al); a.jz(end);
            a.mov(dx, 0x3F8); a.@out(dx, al);
            a.jmp(next);
            a.Label(ref end);
            a.pop(edx); a.pop(eax);
            a.ret();
        }
        // report: AL = 1 pass / 0 fail, EDI = name.
        a.Label(ref report);
        {
            var pass = a.CreateLabel(); var name = a.CreateLabel();
            a.inc(__dword_ptr[VarTests]);
            a.test(al, al);
            a.jnz(pass);
            a.inc(__dword_ptr[VarFailures]);
            a.mov(esi, s.Add("FAIL: "));
            a.jmp(name);
            a.Label(ref pass);
            a.mov(esi, s.Add("PASS: "));
            a.Label(ref name);
            a.call(print);
            a.mov(esi, edi); a.call(print);
            a.mov(esi, s.Add("\n")); a.call(print);
            a.ret();
        }
        // interrupt handlers: count, EOI to the local APIC (SDM vol.3 §11.8.5)
        a.Label(ref ioapicHandler);
        labels.Track(ioapicHandler, "ioapicHandler");
        a.inc(__dword_ptr[VarIoApicHits]);
        a.mov(__dword_ptr[ApicBase + 0xB0], 0);
        a.iretd();
        a.Label(ref apicHandler);
        labels.Track(apicHandler, "apicHandler");
        a.inc(__dword_ptr[VarTimerHits]);
        a.mov(__dword_ptr[ApicBase + 0xB0], 0);
        a.iretd();

    }

    /// <summary>
    /// Runs <paramref name="body"/>, which leaves AL = 1 for a pass or jumps to the failure label it is
    /// given, then reports the result under <paramref name="name"/>.
    /// </summary>
    static void Check(Assembler a, StringTable s, Label report, string name, Action<Label> body)
    {
        var fail = a.CreateLabel();
        var done = a.CreateLabel();
        a.xor(eax, eax);
        body(fail);
        a.jmp(done);
        a.Label(ref fail);
        a.xor(eax, eax);
        a.Label(ref done);
        a.movzx(eax, al);
        a.mov(edi, s.Add(name + "\0"));
        a.call(report);
    }

    /// <summary>Compares ECX bytes at ESI with the bytes at <paramref name="expected"/>; AL = 1 when equal.</summary>
    static void CompareBytes(Assembler a, uint expected, int length)
    {
        a.mov(edi, expected);
        a.mov(ecx, length);
        a.cld();
        a.repe.cmpsb();
        a.sete(al);
    }

    static void WaitIcrIdle(Assembler a)
    {
        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.test(__dword_ptr[ApicBase + 0x300], 1 << 12);
        a.jnz(wait);
    }

    /// <summary>A 32-bit interrupt gate, DPL 0, selector 08h, for <paramref name="vector"/> (SDM vol.3 §7.11 Figure 7-2).</summary>
    static void Gate(Assembler a, byte vector, uint handler)
    {
        uint at = IdtAddress + vector * 8u;
        a.mov(eax, handler);
        a.mov(edx, eax);
        a.and(eax, 0xFFFF); a.or(eax, 0x0008_0000);
        a.mov(__dword_ptr[at], eax);
        a.and(edx, 0xFFFF_0000); a.or(edx, 0x8E00);
        a.mov(__dword_ptr[at + 4], edx);
    }

    /// <summary>Prints EAX (below 1000) in decimal.</summary>
    static void PrintDecimal(Assembler a, Label print, StringTable s)
    {
        uint buffer = s.Reserve(8);
        a.mov(edi, buffer + 6);
        a.mov(__byte_ptr[edi + 1], 0);
        a.mov(ecx, 10);
        var loop = a.CreateLabel();
        a.Label(ref loop);
        a.xor(edx, edx);
        a.div(ecx);
        a.add(dl, (byte)'0');
        a.mov(__byte_ptr[edi], dl);
        a.dec(edi);
        a.test(eax, eax);
        a.jnz(loop);
        a.lea(esi, __[edi + 1]);
        a.call(print);
    }

    // ------------------------------------------------------------------ image building

    static byte[] Assemble(Assembler a, uint address)
    {
        var writer = new Writer();
        a.Assemble(writer, address);
        return writer.ToArray();
    }

    /// <summary>Null, flat 32-bit code (08h) and data (10h) descriptors, and the GDTR/IDTR pseudo-descriptors.</summary>
    static void WriteGdt(Span<byte> data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(data[8..], 0x00CF_9A00_0000_FFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(data[16..], 0x00CF_9200_0000_FFFF);
        int gdtr = (int)(GdtrAddress - GdtAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(data[gdtr..], 24 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(data[(gdtr + 2)..], GdtAddress);
        int idtr = (int)(IdtrAddress - GdtAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(data[idtr..], 256 * 8 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(data[(idtr + 2)..], IdtAddress);
    }

    /// <summary>Multiboot header at the start of the segment (file offset 54h: 4-byte aligned, in the first 8 KiB); flags: page-align modules, memory info.</summary>
    static void WriteMultibootHeader(byte[] image)
    {
        const int at = 0;
        const uint magic = 0x1BADB002, flags = 0x3;
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(at), magic);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(at + 4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(at + 8), unchecked(0u - magic - flags));
    }

    /// <summary>An ELF32 executable with one PT_LOAD at <see cref="LoadAddress"/> (System V ABI, ELF header and program header).</summary>
    static byte[] Elf32(byte[] segment, uint bssBytes)
    {
        const int headerSize = 52, phSize = 32, dataOffset = headerSize + phSize;
        var elf = new byte[dataOffset + segment.Length];
        var e = elf.AsSpan();
        "\x7F"u8.CopyTo(e); "ELF"u8.CopyTo(e[1..]);
        e[4] = 1; e[5] = 1; e[6] = 1;                   // ELFCLASS32, little-endian, version 1
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], 2);   // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], 3);   // EM_386
        BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], EntryAddress); // e_entry
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], headerSize);  // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(e[40..], headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[42..], phSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[44..], 1);
        var ph = e[headerSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);                 // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], dataOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[8..], LoadAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[12..], LoadAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[16..], (uint)segment.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[20..], (uint)segment.Length + bssBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[24..], 7);           // RWX
        BinaryPrimitives.WriteUInt32LittleEndian(ph[28..], 0x1000);
        segment.CopyTo(elf, dataOffset);
        return elf;
    }

    /// <summary>Label addresses from the first assembly pass, by name (0 until resolved).</summary>
    sealed class LabelAddresses
    {
        readonly Dictionary<string, Label> _labels = [];
        readonly Dictionary<string, uint> _addresses = [];

        public void Track(Label label, string name) => _labels[name] = label;

        public uint this[string name] => _addresses.GetValueOrDefault(name);

        public void Resolve(AssemblerResult result)
        {
            foreach (var (name, label) in _labels) _addresses[name] = (uint)result.GetLabelRIP(label);
        }
    }

    sealed class StringTable(uint baseAddress)
    {
        readonly List<byte> _bytes = [];
        public byte[] Bytes => [.. _bytes];

        public uint Add(string text)
        {
            uint at = baseAddress + (uint)_bytes.Count;
            _bytes.AddRange(Encoding.ASCII.GetBytes(text.EndsWith('\0') ? text : text + "\0"));
            return at;
        }

        public uint Reserve(int count)
        {
            uint at = baseAddress + (uint)_bytes.Count;
            _bytes.AddRange(new byte[count]);
            return at;
        }
    }

    sealed class Writer : CodeWriter
    {
        readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }
}
