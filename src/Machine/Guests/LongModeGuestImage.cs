using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Machine.Guests;

/// <summary>
/// Builds a flat image, loaded and entered at 0000:7C00 like a boot sector, that goes straight from real
/// mode to 64-bit mode, runs a workload, prints "<c>name: RAX</c>" (16 hex digits) on COM1 and writes 0 to
/// isa-debug-exit (exit status 1). The switch follows SDM vol.3 §10.8.5 (initializing IA-32e mode): PAE
/// in CR4, CR3 at a PML4, EFER.LME, then CR0.PE and CR0.PG set by the same MOV (PG needs PE, and setting
/// both at once is allowed), then a far jump to a 64-bit code segment (L = 1).
/// Paging identity-maps the first 2 MiB with one 2 MiB page (SDM vol.3 §5.5.4, Figure 5-11: PS = 1 in
/// the PDE). The workload sees RSP = 7000h and may use RAM from 10000h to 1FFFFFh.
/// </summary>
public static class LongModeGuestImage
{
    /// <summary>Where a flat -kernel image is loaded and entered (the boot-sector address).</summary>
    public const ushort Origin = 0x7C00;
    public const ulong Pml4 = 0x8000, Pdpt = 0x9000, PageDirectory = 0xA000;
    /// <summary>Where the 64-bit part starts (one page above the page directory).</summary>
    public const ulong LongModeCode = 0xB000;
    public const ushort StackTop = 0x7000;
    public const ushort Com1 = 0x3F8;
    /// <summary>isa-debug-exit's default port (QEMU).</summary>
    public const byte DebugExitPort = 0xF4;

    const ushort CodeSelector = 0x08, DataSelector = 0x10;
    const uint Ia32Efer = 0xC000_0080; // SDM vol.4 Table 2-2
    const int EferLme = 1 << 8;
    const int Cr4Pae = 1 << 5;
    const uint Cr0PePg = 0x8000_0001;
    const ulong PresentWritable = 0x3, LargePage = 0x80; // PS, bit 7 of a PDE

    /// <summary>The image: real-mode stub, page tables, then the workload and the epilogue.</summary>
    public static byte[] Build(string name, Action<Assembler> workload)
    {
        byte[] stub = RealModeStub();
        byte[] body = LongModePart(name, workload);
        var image = new byte[LongModeCode - Origin + (ulong)body.Length];
        if ((ulong)stub.Length > Pml4 - Origin) throw new InvalidOperationException("real-mode stub overflows into the page tables");
        stub.CopyTo(image, 0);
        WriteEntry(image, Pml4, Pdpt | PresentWritable);
        WriteEntry(image, Pdpt, PageDirectory | PresentWritable);
        WriteEntry(image, PageDirectory, 0 | LargePage | PresentWritable);
        body.CopyTo(image, (int)(LongModeCode - Origin));
        return image;
    }

    static void WriteEntry(byte[] image, ulong address, ulong entry) =>
        BitConverter.TryWriteBytes(image.AsSpan((int)(address - Origin), 8), entry);

    /// <summary>
    /// GDT (null, 64-bit code, flat data) right after a short jump; descriptors per SDM vol.3 §3.4.5 and
    /// §5.2.1: code 00AF9A00_0000FFFF (L = 1, D = 0), data 00CF9200_0000FFFF.
    /// </summary>
    static byte[] RealModeStub()
    {
        const int gdtOffset = 0x08, gdtrOffset = 0x20, codeOffset = 0x28;
        var a = new Assembler(16);
        a.db(0xEB, codeOffset - 2); // jmp short over the data
        a.db(0x90, 0x90, 0x90, 0x90, 0x90, 0x90);
        a.dq(0); a.dq(0x00AF_9A00_0000_FFFF); a.dq(0x00CF_9200_0000_FFFF);
        a.dw(3 * 8 - 1);
        a.dd(Origin + gdtOffset);
        a.db(0x90, 0x90);
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, StackTop);
        a.lgdt(__[Origin + gdtrOffset]);
        a.mov(eax, cr4);
        a.or(eax, Cr4Pae);
        a.mov(cr4, eax);
        a.mov(eax, (uint)Pml4);
        a.mov(cr3, eax);
        a.mov(ecx, Ia32Efer);
        a.rdmsr();
        a.or(eax, EferLme);
        a.wrmsr();
        a.mov(eax, cr0);
        a.or(eax, unchecked((int)Cr0PePg));
        a.mov(cr0, eax);
        // jmp far 0008:0000B000 with a 32-bit offset (66 EA ptr16:32).
        a.db(0x66, 0xEA);
        a.dd((uint)LongModeCode);
        a.dw(CodeSelector);
        byte[] bytes = Encode(a, Origin);
        if (bytes.Length < codeOffset) throw new InvalidOperationException("stub layout broken");
        return bytes;
    }

    static byte[] LongModePart(string name, Action<Assembler> workload)
    {
        var a = new Assembler(64);
        a.mov(ax, DataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(esp, (uint)StackTop);
        workload(a);
        EmitReport(a, name);
        return Encode(a, LongModeCode);
    }

    /// <summary>Prints "name: " and RAX as 16 lowercase hex digits and a newline on COM1, then exits with value 0.</summary>
    static void EmitReport(Assembler a, string name)
    {
        a.mov(rbx, rax);
        a.mov(dx, Com1);
        foreach (byte b in Encoding.ASCII.GetBytes(name + ": "))
        {
            a.mov(al, b);
            a.@out(dx, al);
        }
        var digit = a.CreateLabel();
        var decimalDigit = a.CreateLabel();
        a.mov(ecx, 16);
        a.Label(ref digit);
        a.rol(rbx, 4);
        a.mov(eax, ebx);
        a.and(eax, 0xF);
        a.cmp(al, 10);
        a.jb(decimalDigit);
        a.add(al, 'a' - '0' - 10);
        a.Label(ref decimalDigit);
        a.add(al, (byte)'0');
        a.@out(dx, al);
        a.dec(ecx);
        a.jnz(digit);
        a.mov(al, (byte)'\n');
        a.@out(dx, al);
        a.xor(eax, eax);
        a.@out(DebugExitPort, al);
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
    }

    static byte[] Encode(Assembler a, ulong address)
    {
        var writer = new ByteWriter();
        a.Assemble(writer, address);
        return [.. writer.Bytes];
    }

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
