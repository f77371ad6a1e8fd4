using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Tests.Support;
using JitVirt.Mmu.Walker;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// Builds whole-system test guests: code for several bitnesses at fixed addresses, descriptor
/// tables and page tables in RAM, a console on port 0xE9 and an exit port at 0xF4 (the
/// isa-debug-exit convention). The guest runs from real mode at 0000:7C00 under the direct page
/// walker, as firmware would leave a boot sector.
/// </summary>
public sealed class GuestBuilder : IDisposable
{
    public const ushort ConsolePort = 0xE9;
    public const ushort ExitPort = 0xF4;

    public TestMachine Machine { get; } = new(16 << 20, new GuestPageWalker());

    public void Code(int bitness, ulong address, Action<Assembler> emit) => Claim(address, Machine.Load(bitness, address, emit).Length);

    readonly List<(ulong Start, ulong End)> _code = new();

    /// <summary>Refuses code that would overwrite code already placed (handlers grow with their messages).</summary>
    void Claim(ulong address, int length)
    {
        ulong end = address + (ulong)length;
        foreach (var (start, stop) in _code)
            if (address < stop && start < end)
                throw new InvalidOperationException($"code at {address:X}-{end:X} overlaps code at {start:X}-{stop:X}");
        _code.Add((address, end));
    }

    /// <summary>
    /// Assembles like <see cref="Code"/> and returns where each label of the emitted code landed,
    /// so a guest can be told the addresses of its own instructions (expected saved EIPs, resume
    /// points) through a table the builder writes after assembly.
    /// </summary>
    public Func<Label, uint> CodeWithLabels(int bitness, ulong address, Action<Assembler> emit)
    {
        var a = new Assembler(bitness);
        emit(a);
        var w = new ByteCollector();
        var result = a.Assemble(w, address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        Claim(address, w.Bytes.Count);
        Machine.Memory.WriteBytes(address, w.Bytes.ToArray());
        return label => (uint)result.GetLabelRIP(label);
    }

    public void WriteDwords(ulong address, params uint[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        Machine.Memory.WriteBytes(address, bytes);
    }

    /// <summary>Writes <paramref name="text"/> as ASCII with a terminating NUL (for <see cref="PrintAsciiz"/>).</summary>
    public void WriteString(ulong address, string text)
    {
        var bytes = new byte[text.Length + 1];
        for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
        Machine.Memory.WriteBytes(address, bytes);
    }

    public void WriteQwords(ulong address, params ulong[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), values[i]);
        Machine.Memory.WriteBytes(address, bytes);
    }

    /// <summary>A pseudo-descriptor (limit16, base32) for LGDT/LIDT from 16/32-bit code.</summary>
    public void WriteDescriptorTableRegister(ulong address, ushort limit, uint tableBase)
    {
        var b = new byte[6];
        BitConverter.TryWriteBytes(b.AsSpan(0), limit);
        BitConverter.TryWriteBytes(b.AsSpan(2), tableBase);
        Machine.Memory.WriteBytes(address, b);
    }

    /// <summary>Runs from real mode at 0000:7C00 until the guest halts; returns the value it wrote to the exit port, or null.</summary>
    public (StopReason Stop, uint? ExitCode) Run(long budget = 1_000_000)
    {
        Machine.StartRealMode(0, 0x7C00);
        var stop = Machine.Run(budget);
        uint? exit = null;
        foreach (var e in Machine.Ports.Log) if (e.Write && e.Port == ExitPort) exit = e.Value;
        return (stop, exit);
    }

    public string Console => Machine.Console;

    /// <summary>Emits OUT 0xE9 of each character (works in every mode).</summary>
    public static void Print(Assembler a, string text)
    {
        foreach (char c in text)
        {
            a.mov(al, (byte)c);
            a.@out((byte)ConsolePort, al);
        }
    }

    /// <summary>Emits the exit: OUT 0xF4 of <paramref name="status"/> (32-bit), then CLI; HLT.</summary>
    public static void Exit(Assembler a, int status)
    {
        a.mov(eax, status);
        a.@out((byte)ExitPort, eax);
        a.cli();
        a.hlt();
    }

    /// <summary>
    /// Emits a named check: <paramref name="compare"/> must leave ZF = 1 when the check holds; then
    /// prints <c>PASS name</c>, or <c>FAIL name</c> and exits with status 1.
    /// </summary>
    public static void Expect(Assembler a, string name, Action compare)
    {
        var ok = a.CreateLabel();
        compare();
        a.je(ok);
        Print(a, $"FAIL {name}\n");
        Exit(a, 1);
        a.Label(ref ok);
        Print(a, $"PASS {name}\n");
    }

    /// <summary>Emits (32-bit code) OUT 0xE9 of each byte of the NUL-terminated string at DS:ESI; clobbers AL and ESI.</summary>
    public static void PrintAsciiz(Assembler a)
    {
        var loop = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref loop);
        a.mov(al, __byte_ptr[esi]);
        a.test(al, al);
        a.jz(done);
        a.@out((byte)ConsolePort, al);
        a.inc(esi);
        a.jmp(loop);
        a.Label(ref done);
    }

    /// <summary>
    /// Emits the boot sector at 0000:7C00: CLI, LGDT/LIDT from the pseudo-descriptors at
    /// <paramref name="gdtrImage"/>/<paramref name="idtrImage"/>, CR0.PE, far jump to
    /// <paramref name="cs"/>:<paramref name="target"/> (SDM vol.3 §10.9.1).
    /// </summary>
    public void EnterProtectedMode(ulong gdtrImage, ulong idtrImage, ushort cs, uint target) => Code(16, 0x7C00, a =>
    {
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.lgdt(__[(ushort)gdtrImage]);
        a.lidt(__[(ushort)idtrImage]);
        a.mov(eax, cr0);
        a.or(eax, 1);
        a.mov(cr0, eax);
        a.jmp(cs, target);
    });

    // ---- descriptors (SDM vol.3 §3.4.5 Figure 3-8, §7.11 Figure 7-2, §9.2.2 Figure 9-3)

    /// <summary>A code/data descriptor: <paramref name="access"/> is byte 5 (P DPL S type), <paramref name="flags"/> the G D/B L AVL nibble.</summary>
    public static ulong Segment(uint segmentBase, uint limit, byte access, byte flags) =>
        (limit & 0xFFFFul) | ((ulong)(segmentBase & 0xFF_FFFF) << 16) | ((ulong)access << 40)
        | ((ulong)((limit >> 16) & 0xF) << 48) | ((ulong)(flags & 0xF) << 52) | ((ulong)(segmentBase >> 24) << 56);

    /// <summary>An available 32-bit TSS descriptor (type 9).</summary>
    public static ulong Tss32(uint tssBase, uint limit) => Segment(tssBase, limit, 0x89, 0);

    /// <summary>A 32-bit interrupt gate (type 14), or trap gate (type 15) when <paramref name="trap"/>.</summary>
    public static ulong Gate32(ushort selector, uint offset, int dpl = 0, bool present = true, bool trap = false) =>
        (offset & 0xFFFFul) | ((ulong)selector << 16) | ((ulong)(offset >> 16) << 48)
        | ((ulong)((present ? 0x80 : 0) | (dpl << 5) | (trap ? 0xF : 0xE)) << 40);

    /// <summary>A task gate (type 5) naming the TSS selector <paramref name="tss"/>.</summary>
    public static ulong TaskGate(ushort tss, int dpl = 0) => ((ulong)tss << 16) | ((ulong)(0x85 | (dpl << 5)) << 40);

    public void Dispose() => Machine.Dispose();

    sealed class ByteCollector : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
