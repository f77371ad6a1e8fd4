using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>
/// A processor in 16-, 32- or 64-bit mode (flat segments, paging off unless a translator is
/// given) that executes single instructions by calling their handlers directly, so a fault stays
/// pending for inspection instead of being delivered.
/// </summary>
public sealed unsafe class IntegerGuest : IDisposable
{
    public const ulong CodeBase = 0x1000;
    public const ulong DataBase = 0x2000;

    public TestMachine M { get; }
    public Cpu Cpu => M.Cpu;
    public int Bitness { get; }
    ulong _next = CodeBase;

    public IntegerGuest(int bitness, IAddressTranslator? translator = null)
    {
        Bitness = bitness;
        M = new TestMachine(1 << 20, translator);
        var cpu = M.Cpu;
        if (bitness == 16)
        {
            M.StartRealMode(0, (ushort)CodeBase);
        }
        else
        {
            cpu.Reset();
            cpu.Cr0 |= State.Cr0.PE;
            if (translator is not null) cpu.Cr0 |= State.Cr0.PG;
            uint flat = SegmentRegister.DefaultBig | SegmentRegister.Granularity;
            for (int s = 0; s < SegmentIndex.Count; s++)
                cpu.Segments[s] = new SegmentRegister { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = SegmentRegister.RealModeData | flat };
            cpu.Segments[SegmentIndex.Cs] = new SegmentRegister
            {
                Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF,
                AccessRights = bitness == 64 ? SegmentRegister.RealModeCode | SegmentRegister.LongMode | SegmentRegister.Granularity : SegmentRegister.RealModeCode | flat,
            };
            if (bitness == 64) cpu.Efer |= State.Efer.LMA | State.Efer.LME;
            cpu.UpdateMode();
            cpu.FlushTlb();
        }
        Assert.Equal(bitness switch { 16 => OperatingMode.Real, 32 => OperatingMode.Protected, _ => OperatingMode.Long64 }, cpu.Mode);
        cpu.Pending = 0;
    }

    /// <summary>Assembles one instruction and executes it; returns true when it completed without a fault.</summary>
    public bool Exec(Action<Assembler> emit)
    {
        var a = new Assembler(Bitness);
        emit(a);
        var w = new ListWriter();
        a.Assemble(w, _next);
        return Exec(w.Bytes.ToArray());
    }

    /// <summary>Decodes and executes the instruction in <paramref name="bytes"/> (as the front end does, without Iced's invalid checks).</summary>
    public bool Exec(params byte[] bytes)
    {
        var cpu = Cpu;
        ulong rip = _next;
        _next += 32;
        M.Memory.WriteBytes(rip, bytes);
        var decoder = Decoder.Create(Bitness, new ByteArrayCodeReader(bytes), DecoderOptions.NoInvalidCheck);
        decoder.IP = rip;
        decoder.Decode(out var insn);
        Assert.False(insn.IsInvalid, "test instruction did not decode");
        Assert.Equal(bytes.Length, insn.Length);
        cpu.Pending = 0;
        cpu.CodeDelta = 0;
        cpu.Rip = rip;
        cpu.NextRip = insn.NextIP;
        HandlerTable.Handlers[(int)insn.Code](cpu, in insn);
        if (cpu.Faulted) return false;
        cpu.Rip = cpu.NextRip;
        return true;
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> as <paramref name="decodeBitness"/>-bit code and runs the
    /// handler on this processor: checks a handler's own mode test for forms that Iced already
    /// refuses to decode in the current mode. Returns true when it completed without a fault.
    /// </summary>
    public bool ExecDecodedAs(int decodeBitness, params byte[] bytes)
    {
        var decoder = Decoder.Create(decodeBitness, new ByteArrayCodeReader(bytes), DecoderOptions.NoInvalidCheck);
        decoder.Decode(out var insn);
        Assert.False(insn.IsInvalid);
        Cpu.Pending = 0;
        HandlerTable.Handlers[(int)insn.Code](Cpu, in insn);
        return !Cpu.Faulted;
    }

    /// <summary>Executes and asserts the instruction raised <paramref name="vector"/>.</summary>
    public void ExecFaults(byte vector, Action<Assembler> emit)
    {
        Assert.False(Exec(emit), "expected a fault");
        Assert.Equal(vector, Cpu.PendingException.Vector);
    }

    public void ExecFaults(byte vector, params byte[] bytes)
    {
        Assert.False(Exec(bytes), "expected a fault");
        Assert.Equal(vector, Cpu.PendingException.Vector);
    }

    public ulong this[int gpr] { get => Cpu.Gpr[gpr]; set => Cpu.Gpr[gpr] = value; }

    /// <summary>The six arithmetic flags.</summary>
    public ulong Flags => Cpu.GetRflags() & Rflags.Arithmetic;

    /// <summary>Sets the six arithmetic flags to <paramref name="flags"/> (eagerly).</summary>
    public void SetFlags(ulong flags) => Cpu.SetArithmeticFlags(Rflags.Arithmetic, flags);

    /// <summary>Asserts the flags in <paramref name="mask"/> equal <paramref name="expected"/>.</summary>
    public void AssertFlags(ulong expected, ulong mask = Rflags.Arithmetic)
        => Assert.Equal(FlagString(expected & mask), FlagString(Flags & mask));

    static string FlagString(ulong f)
    {
        var s = new System.Text.StringBuilder();
        if ((f & Rflags.OF) != 0) s.Append("OF ");
        if ((f & Rflags.SF) != 0) s.Append("SF ");
        if ((f & Rflags.ZF) != 0) s.Append("ZF ");
        if ((f & Rflags.AF) != 0) s.Append("AF ");
        if ((f & Rflags.PF) != 0) s.Append("PF ");
        if ((f & Rflags.CF) != 0) s.Append("CF ");
        return s.ToString().TrimEnd();
    }

    public T ReadMem<T>(ulong address) where T : unmanaged
    {
        var span = M.Memory.RamSpan(address, sizeof(T));
        return System.Runtime.InteropServices.MemoryMarshal.Read<T>(span);
    }

    public void WriteMem<T>(ulong address, T value) where T : unmanaged
    {
        var bytes = new byte[sizeof(T)];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in value);
        M.Memory.WriteBytes(address, bytes);
    }

    public void Dispose() => M.Dispose();

    sealed class ListWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}

/// <summary>Identity paging except one linear page that is not present (for precise-fault tests).</summary>
public sealed class HoleTranslator(ulong holePage) : IAddressTranslator
{
    public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = kind == AccessKind.Write ? 2u : 0u;
        return (linear & ~0xFFFul) != holePage;
    }

    public void Invalidate(Cpu cpu, ulong? linearPage) { }
}
