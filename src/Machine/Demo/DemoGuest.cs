using System.Text;
using Iced.Intel;
using JitVirt.Machine.Pc;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Machine.Demo;

/// <summary>
/// The built-in demo guest, assembled in-process with Iced. Entered in real mode at 0000:8000, it
/// switches to 32-bit protected mode with a flat GDT, identity-maps the first 4 MiB with 4 KiB pages,
/// builds an IDT, programs COM1 (115200 8N1 through the divisor latch), remaps the 8259 pair to 20h/28h,
/// programs PIT counter 0 for 1 kHz, halts until <see cref="TimerTicks"/> timer interrupts arrived, runs
/// CPUID and a WRMSR/RDMSR round trip of IA32_TSC_AUX (an MSR both front ends intercept, so their profiles match), prints one line on COM1 and writes 0 to
/// isa-debug-exit (exit status 1). An unexpected exception prints a line and exits with value 1 (status 3).
/// </summary>
public static class DemoGuest
{
    /// <summary>Physical address of the real-mode stub (and of the image's first byte).</summary>
    public const ulong LoadAddress = 0x8000;
    /// <summary>Physical address of the 32-bit part, one page above the stub.</summary>
    public const ulong ProtectedModeAddress = 0x9000;
    public const int TimerTicks = 3;
    /// <summary>Value written to isa-debug-exit on success (QEMU exit status (0 &lt;&lt; 1) | 1 = 1).</summary>
    public const byte SuccessValue = 0;
    public const byte ExceptionValue = 1;
    public const string OutputPrefix = "JitVirt demo: ";

    private const ushort CodeSelector = 0x08;
    private const ushort DataSelector = 0x10;
    private const uint StackTop = 0x7000;
    private const uint PageDirectory = 0x20000;
    private const uint PageTable = 0x21000;
    private const uint IdtBase = 0x30000;
    private const int IdtEntries = 256;
    private const byte TimerVector = 0x20; // master PIC remapped to 20h (ICW2), above the exception vectors
    private const ushort PitDivisor = 1193; // 1.193182 MHz / 1193 ≈ 1000.15 Hz (8254 datasheet, mode 2)
    // IA32_TSC_AUX (SDM vol.4 Table 2-2; AMD APM vol.2 RDTSCP). Not one of the MSRs 2.6.20's SVM passed
    // through in its MSRPM (unlike SYSENTER_CS), and 2.6.20's VMX had no MSR bitmap: it exits under both.
    private const uint Ia32TscAux = 0xC000_0103;
    private const uint TscAuxValue = 0x0042;

    // COM1 registers (PC16550D datasheet Table II) and values.
    private const ushort Com1 = 0x3F8;
    private const ushort ComDivisorLow = Com1 + 0, ComInterruptEnable = Com1 + 1, ComFifoControl = Com1 + 2;
    private const ushort ComLineControl = Com1 + 3, ComModemControl = Com1 + 4, ComLineStatus = Com1 + 5;
    private const byte LineControlDlab = 0x80, LineControl8N1 = 0x03, FifoEnableClear = 0x07, ModemDtrRts = 0x03;
    private const byte LineStatusThrEmpty = 0x20;
    private const byte Divisor115200 = 1; // 1.8432 MHz / (16 × 115200) = 1

    /// <summary>The image: the real-mode stub padded to one page, then the 32-bit part.</summary>
    public static byte[] Assemble()
    {
        byte[] stub = AssembleRealModeStub();
        byte[] body = AssembleProtectedMode();
        int pad = (int)(ProtectedModeAddress - LoadAddress);
        if (stub.Length > pad) throw new InvalidOperationException("real-mode stub overflows its page");
        var image = new byte[pad + body.Length];
        stub.CopyTo(image, 0);
        body.CopyTo(image, pad);
        return image;
    }

    /// <summary>The demo as a boot image entered at 0000:8000.</summary>
    public static FlatBootImage CreateBootImage() => new(Assemble(), LoadAddress, 0, (ushort)LoadAddress);

    /// <summary>
    /// Layout: jmp short over the data; GDT (null, flat 32-bit code, flat data) at +8; GDTR at +20h; code at +28h.
    /// Descriptors per SDM vol.3 §3.4.5: base 0, limit FFFFFh, G=1, D/B=1; type 1010b (code, readable) / 0010b (data, writable).
    /// </summary>
    private static byte[] AssembleRealModeStub()
    {
        const int gdtOffset = 0x08, gdtrOffset = 0x20, codeOffset = 0x28;
        var a = new Assembler(16);
        a.db(0xEB, codeOffset - 2); // jmp short start
        a.db(0x90, 0x90, 0x90, 0x90, 0x90, 0x90);
        a.dq(0); a.dq(0x00CF_9A00_0000_FFFF); a.dq(0x00CF_9200_0000_FFFF);
        a.dw(3 * 8 - 1);
        a.dd((uint)LoadAddress + gdtOffset);
        a.db(0x90, 0x90);
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, (ushort)StackTop);
        a.lgdt(__[(uint)LoadAddress + gdtrOffset]);
        a.mov(eax, cr0);
        a.or(eax, 1); // CR0.PE (SDM vol.3 §2.5)
        a.mov(cr0, eax);
        // jmp far 0008:00009000 with a 32-bit offset (66 EA ptr16:32), which loads CS from the GDT (SDM vol.3 §10.9.1).
        a.db(0x66, 0xEA);
        a.dd((uint)ProtectedModeAddress);
        a.dw(CodeSelector);
        byte[] bytes = Encode(a, LoadAddress);
        if (bytes.Length < codeOffset) throw new InvalidOperationException("stub layout broken");
        return bytes;
    }

    /// <summary>
    /// Two passes: 32-bit code cannot address a label RIP-relatively, so data and handler addresses are
    /// absolute immediates/displacements (always 32 bits wide, so the layout does not change between passes);
    /// the first pass finds where every label lands, the second encodes those addresses.
    /// </summary>
    private static byte[] AssembleProtectedMode()
    {
        var firstPass = AssembleProtectedMode(null, out var addresses);
        var secondPass = AssembleProtectedMode(addresses, out var check);
        if (secondPass.Length != firstPass.Length || !check.SequenceEqual(addresses))
            throw new InvalidOperationException("demo guest layout changed between passes");
        return secondPass;
    }

    private static byte[] AssembleProtectedMode(IReadOnlyList<ulong>? knownAddresses, out List<ulong> labelAddresses)
    {
        var a = new Assembler(32);
        var labels = new List<Label>();
        Label NewLabel()
        {
            var label = a.CreateLabel();
            labels.Add(label);
            return label;
        }
        int IndexOf(Label label) => labels.FindIndex(l => l.Id == label.Id);
        void Bind(ref Label label)
        {
            a.Label(ref label);
            labels[IndexOf(label)] = label; // Label is a struct: keep the bound copy
        }
        uint At(Label label) => knownAddresses is null ? (uint)ProtectedModeAddress : (uint)knownAddresses[IndexOf(label)];
        var putc = NewLabel();
        var puts = NewLabel();
        var putHex16 = NewLabel();
        var timerHandler = NewLabel();
        var defaultHandler = NewLabel();
        var ticks = NewLabel();
        var vendor = NewLabel();
        var msrValue = NewLabel();
        var idtr = NewLabel();
        var msgStart = NewLabel();
        var msgTicks = NewLabel();
        var msgPagingOn = NewLabel();
        var msgPagingOff = NewLabel();
        var msgMsr = NewLabel();
        var msgMsrMismatch = NewLabel();
        var msgEnd = NewLabel();
        var msgException = NewLabel();

        // Flat data segments and a stack.
        a.mov(ax, DataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(ss, ax);
        a.mov(esp, StackTop);

        // COM1: 115200 8N1 through the divisor latch, FIFOs on, DTR/RTS, no UART interrupts.
        Outb(a, ComLineControl, LineControlDlab);
        Outb(a, ComDivisorLow, Divisor115200);
        Outb(a, ComInterruptEnable, 0); // divisor high byte while DLAB=1
        Outb(a, ComLineControl, LineControl8N1);
        Outb(a, ComFifoControl, FifoEnableClear);
        Outb(a, ComModemControl, ModemDtrRts);
        Outb(a, ComInterruptEnable, 0);

        // Identity map 0-4 MiB: one page table of 1024 present+writable 4 KiB pages (SDM vol.3 §5.3, Figure 5-4).
        var fillPt = NewLabel();
        a.mov(edi, PageTable);
        a.mov(eax, 0x003u);
        a.mov(ecx, 1024u);
        Bind(ref fillPt);
        a.mov(__dword_ptr[edi], eax);
        a.add(eax, 0x1000);
        a.add(edi, 4);
        a.dec(ecx);
        a.jnz(fillPt);
        a.mov(__dword_ptr[PageDirectory], PageTable | 0x003u);
        a.mov(eax, PageDirectory);
        a.mov(cr3, eax);
        a.mov(eax, cr0);
        a.or(eax, unchecked((int)0x8000_0000)); // CR0.PG
        a.mov(cr0, eax);
        var pagingOn = NewLabel();
        a.jmp(pagingOn);
        Bind(ref pagingOn);

        // IDT: 256 32-bit interrupt gates (type 1110b, P=1, DPL 0: 8E00h) to the default handler,
        // then vector 20h to the timer handler (SDM vol.3 §7.11, Figure 7-2).
        a.mov(edx, At(defaultHandler));
        a.mov(edi, IdtBase);
        a.mov(ecx, (uint)IdtEntries);
        var fillIdt = NewLabel();
        Bind(ref fillIdt);
        EmitGate(a);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(fillIdt);
        a.mov(edx, At(timerHandler));
        a.mov(edi, IdtBase + TimerVector * 8u);
        EmitGate(a);
        a.lidt(__[At(idtr)]);

        // 8259 pair: ICW1 edge+ICW4, ICW2 vector bases 20h/28h, ICW3 cascade on IR2, ICW4 8086 mode;
        // then unmask only IRQ0 (8259A datasheet, "Initialization Command Words").
        Outb(a, 0x20, 0x11); Outb(a, 0xA0, 0x11);
        Outb(a, 0x21, TimerVector); Outb(a, 0xA1, TimerVector + 8);
        Outb(a, 0x21, 0x04); Outb(a, 0xA1, 0x02);
        Outb(a, 0x21, 0x01); Outb(a, 0xA1, 0x01);
        Outb(a, 0x21, 0xFE); Outb(a, 0xA1, 0xFF);

        // PIT counter 0, lobyte/hibyte, mode 2 (rate generator): control word 34h (8254 datasheet).
        Outb(a, 0x43, 0x34);
        Outb(a, 0x40, (byte)(PitDivisor & 0xFF));
        Outb(a, 0x40, (byte)(PitDivisor >> 8));

        a.mov(esi, At(msgStart));
        a.call(puts);

        // Wait for the timer with interrupts on.
        var waitTick = NewLabel();
        a.sti();
        Bind(ref waitTick);
        a.hlt();
        a.cmp(__dword_ptr[At(ticks)], TimerTicks);
        a.jb(waitTick);
        a.cli();
        Outb(a, 0x21, 0xFF); // mask the timer again

        // CPUID leaf 0: vendor string in EBX, EDX, ECX (SDM vol.2 CPUID).
        a.xor(eax, eax);
        a.cpuid();
        a.mov(edi, At(vendor));
        a.mov(__dword_ptr[edi], ebx);
        a.mov(__dword_ptr[edi + 4], edx);
        a.mov(__dword_ptr[edi + 8], ecx);

        // WRMSR then RDMSR of IA32_TSC_AUX.
        a.mov(ecx, Ia32TscAux);
        a.mov(eax, TscAuxValue);
        a.xor(edx, edx);
        a.wrmsr();
        a.xor(eax, eax);
        a.rdmsr();
        a.mov(__dword_ptr[At(msrValue)], eax);

        // "CPUID vendor=<vendor>, <n> timer interrupts, paging on|off, TSC_AUX=0x<hex> via WRMSR/RDMSR"
        a.mov(esi, At(vendor));
        a.call(puts);
        a.mov(esi, At(msgTicks));
        a.call(puts);
        a.mov(eax, __dword_ptr[At(ticks)]);
        a.add(al, (byte)'0');
        a.call(putc);
        var pagingOff = NewLabel();
        var pagingDone = NewLabel();
        a.mov(eax, cr0);
        a.test(eax, unchecked((int)0x8000_0000));
        a.jz(pagingOff);
        a.mov(esi, At(msgPagingOn));
        a.jmp(pagingDone);
        Bind(ref pagingOff);
        a.mov(esi, At(msgPagingOff));
        Bind(ref pagingDone);
        a.call(puts);
        a.mov(esi, At(msgMsr));
        a.call(puts);
        a.mov(ebx, __dword_ptr[At(msrValue)]);
        a.call(putHex16);
        var msrOk = NewLabel();
        a.cmp(__dword_ptr[At(msrValue)], TscAuxValue);
        a.je(msrOk);
        a.mov(esi, At(msgMsrMismatch));
        a.call(puts);
        Bind(ref msrOk);
        a.mov(esi, At(msgEnd));
        a.call(puts);

        // isa-debug-exit: value 0 → QEMU-style exit status 1.
        Outb(a, IsaDebugExitPort, SuccessValue);
        var stop = NewLabel();
        Bind(ref stop);
        a.cli();
        a.hlt();
        a.jmp(stop);

        // Timer interrupt: count, non-specific EOI to the master 8259 (OCW2 20h).
        Bind(ref timerHandler);
        a.push(eax);
        a.inc(__dword_ptr[At(ticks)]);
        a.mov(al, 0x20);
        a.@out(0x20, al);
        a.pop(eax);
        a.iretd();

        // Anything else: say so and exit with value 1.
        Bind(ref defaultHandler);
        a.mov(esi, At(msgException));
        a.call(puts);
        Outb(a, IsaDebugExitPort, ExceptionValue);
        a.jmp(stop);

        // putc(AL): wait for THR empty (LSR bit 5), then write THR.
        var waitThr = NewLabel();
        Bind(ref putc);
        a.push(edx);
        a.push(eax);
        a.mov(dx, ComLineStatus);
        Bind(ref waitThr);
        a.@in(al, dx);
        a.test(al, LineStatusThrEmpty);
        a.jz(waitThr);
        a.pop(eax);
        a.mov(dx, Com1);
        a.@out(dx, al);
        a.pop(edx);
        a.ret();

        // puts(ESI): zero-terminated string.
        var putsDone = NewLabel();
        Bind(ref puts);
        a.mov(al, __byte_ptr[esi]);
        a.test(al, al);
        a.jz(putsDone);
        a.call(putc);
        a.inc(esi);
        a.jmp(puts);
        Bind(ref putsDone);
        a.ret();

        // putHex16(BX): four upper-case hex digits.
        var hexLoop = NewLabel();
        var hexDigit = NewLabel();
        Bind(ref putHex16);
        a.mov(ecx, 4u);
        Bind(ref hexLoop);
        a.rol(bx, 4);
        a.mov(al, bl);
        a.and(al, 0x0F);
        a.cmp(al, 10);
        a.jb(hexDigit);
        a.add(al, (byte)('A' - 10 - '0'));
        Bind(ref hexDigit);
        a.add(al, (byte)'0');
        a.call(putc);
        a.dec(ecx);
        a.jnz(hexLoop);
        a.ret();

        // Data.
        Bind(ref idtr);
        a.dw(IdtEntries * 8 - 1);
        a.dd(IdtBase);
        Bind(ref ticks);
        a.dd(0);
        Bind(ref msrValue);
        a.dd(0);
        Bind(ref vendor);
        a.db(new byte[16]); // 12 vendor bytes and a terminating zero
        Bind(ref msgStart);
        Ascii(a, OutputPrefix + "CPUID vendor=");
        Bind(ref msgTicks);
        Ascii(a, ", ");
        Bind(ref msgPagingOn);
        Ascii(a, " timer interrupts, paging on");
        Bind(ref msgPagingOff);
        Ascii(a, " timer interrupts, paging off");
        Bind(ref msgMsr);
        Ascii(a, ", TSC_AUX=0x");
        Bind(ref msgMsrMismatch);
        Ascii(a, " (expected 0x0008)");
        Bind(ref msgEnd);
        Ascii(a, " via WRMSR/RDMSR, protected mode with IDT and PIT\n");
        Bind(ref msgException);
        Ascii(a, "\n" + OutputPrefix + "unexpected exception\n");

        var writer = new ByteCodeWriter();
        var result = a.Assemble(writer, ProtectedModeAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
        labelAddresses = labels.ConvertAll(label => result.GetLabelRIP(label));
        return writer.ToArray();
    }

    private const ushort IsaDebugExitPort = 0xF4; // QEMU's default iobase (DebugExitConfig.Default)

    /// <summary>Writes the gate for handler EDX at EDI: offset 15:0 | selector, then offset 31:16 | 8E00h.</summary>
    private static void EmitGate(Assembler a)
    {
        a.mov(eax, edx);
        a.and(eax, 0xFFFF);
        a.or(eax, CodeSelector << 16);
        a.mov(__dword_ptr[edi], eax);
        a.mov(eax, edx);
        a.and(eax, unchecked((int)0xFFFF_0000));
        a.or(eax, 0x8E00);
        a.mov(__dword_ptr[edi + 4], eax);
    }

    private static void Outb(Assembler a, ushort port, byte value)
    {
        a.mov(al, value);
        if (port <= 0xFF)
        {
            a.@out((byte)port, al);
        }
        else
        {
            a.mov(dx, port);
            a.@out(dx, al);
        }
    }

    private static void Ascii(Assembler a, string text) => a.db(Encoding.ASCII.GetBytes(text + "\0"));

    private static byte[] Encode(Assembler a, ulong address)
    {
        var writer = new ByteCodeWriter();
        a.Assemble(writer, address);
        return writer.ToArray();
    }

    private sealed class ByteCodeWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }
}
