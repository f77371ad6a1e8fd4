using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.Frontend;
using Xunit;

namespace JitVirt.Cpu.Tests.DataFlow;

/// <summary>
/// State set-up for data-flow tests in protected and 64-bit mode (no descriptor tables needed:
/// the hidden segment state is written directly), and a single-step that runs one instruction
/// through the handler table so a fault can be inspected before any delivery happens.
/// </summary>
static unsafe class DataFlowGuest
{
    public const uint FlatCode32 = 0x9B | SegmentRegister.DefaultBig | SegmentRegister.Granularity;
    public const uint FlatData32 = 0x93 | SegmentRegister.DefaultBig | SegmentRegister.Granularity;
    public const uint Code64 = 0x9B | SegmentRegister.LongMode | SegmentRegister.Granularity;

    /// <summary>32-bit protected mode, flat 4 GiB segments at <paramref name="cpl"/>, RFLAGS = 2 | <paramref name="flags"/>.</summary>
    public static void EnterProtected32(this TestMachine m, ulong eip, ulong esp, int cpl = 0, ulong flags = 0)
    {
        var cpu = m.Cpu;
        cpu.Reset();
        cpu.Cr0 |= State.Cr0.PE;
        uint dpl = (uint)cpl << SegmentRegister.DplShift;
        for (int s = 0; s < SegmentIndex.Count; s++)
            cpu.Segments[s] = new SegmentRegister { Selector = (ushort)(0x10 | cpl), Base = 0, Limit = 0xFFFF_FFFF, AccessRights = FlatData32 | dpl };
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = (ushort)(0x08 | cpl), Base = 0, Limit = 0xFFFF_FFFF, AccessRights = FlatCode32 | dpl };
        cpu.SetRflags(Rflags.Reserved1 | flags);
        cpu.Rip = eip;
        cpu.Gpr[State.Gpr.Rsp] = esp;
        cpu.UpdateMode();
    }

    /// <summary>64-bit mode (EFER.LMA, CS.L) at CPL 0, identity-mapped by the test translator.</summary>
    public static void EnterLong64(this TestMachine m, ulong rip, ulong rsp)
    {
        var cpu = m.Cpu;
        m.EnterProtected32(rip, rsp);
        cpu.Cr0 |= State.Cr0.PG;
        cpu.Cr4 |= State.Cr4.PAE;
        cpu.Efer |= State.Efer.LME | State.Efer.LMA;
        cpu.Segments[SegmentIndex.Cs].AccessRights = Code64;
        cpu.UpdateMode();
        Assert.Equal(OperatingMode.Long64, cpu.Mode);
    }

    /// <summary>Virtual-8086 mode at <paramref name="cs"/>:<paramref name="ip"/>, real-mode style segments, with the given IOPL.</summary>
    public static void EnterV86(this TestMachine m, ushort cs, ushort ip, ushort sp, int iopl, ulong cr4 = 0)
    {
        var cpu = m.Cpu;
        m.StartRealMode(cs, ip);
        cpu.Gpr[State.Gpr.Rsp] = sp;
        cpu.Cr0 |= State.Cr0.PE;
        cpu.Cr4 |= cr4;
        cpu.SetRflags(Rflags.Reserved1 | Rflags.VM | ((ulong)iopl << Rflags.IoplShift));
        Assert.Equal(OperatingMode.Virtual8086, cpu.Mode);
    }

    /// <summary>Runs the instruction at CS:RIP once. Returns false when it faulted (RIP then stays on it).</summary>
    public static bool Step(this TestMachine m)
    {
        var cpu = m.Cpu;
        HandlerTable.EnsureInitialized();
        ulong linear = (cpu.Segments[SegmentIndex.Cs].Base + cpu.Rip) & (cpu.Is64BitMode ? ulong.MaxValue : 0xFFFF_FFFF);
        int bitness = cpu.CodeMode switch { CodeMode.Bits16 => 16, CodeMode.Bits32 => 32, _ => 64 };
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(m.Memory.RamSpan(linear, 15).ToArray()), DecoderOptions.NoInvalidCheck);
        decoder.IP = cpu.Rip;
        decoder.Decode(out var insn);
        cpu.Pending = 0;
        cpu.CodeDelta = 0;
        cpu.NextRip = insn.NextIP & cpu.IpMask;
        cpu.InterruptShadow = false;
        HandlerTable.Handlers[(int)insn.Code](cpu, in insn);
        if (cpu.Faulted) return false;
        cpu.Rip = cpu.NextRip;
        return true;
    }

    public static void AssertFault(this TestMachine m, byte vector, uint errorCode = 0)
    {
        Assert.True(m.Cpu.Faulted, "expected a fault");
        Assert.Equal(vector, m.Cpu.PendingException.Vector);
        if (m.Cpu.PendingException.HasErrorCode) Assert.Equal(errorCode, m.Cpu.PendingException.ErrorCode);
    }

    /// <summary>Assembles like <see cref="TestMachine.Load"/> and returns the addresses of the labels <paramref name="emit"/> returns.</summary>
    public static ulong[] LoadAndLocate(this TestMachine m, int bitness, ulong address, Func<Assembler, Label[]> emit)
    {
        var a = new Assembler(bitness);
        var labels = emit(a);
        var w = new ByteWriter();
        var result = a.Assemble(w, address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        m.Memory.WriteBytes(address, w.Bytes.ToArray());
        return labels.Select(l => result.GetLabelRIP(l)).ToArray();
    }

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    /// <summary>Values written to port 0xE9 (the guests' "print"), in order.</summary>
    public static List<uint> Printed(this TestMachine m)
        => m.Ports.Log.Where(e => e.Write && e.Port == 0xE9).Select(e => e.Value).ToList();

    public static ushort Word(this TestMachine m, ulong a) => BitConverter.ToUInt16(m.Memory.RamSpan(a, 2));
    public static uint Dword(this TestMachine m, ulong a) => BitConverter.ToUInt32(m.Memory.RamSpan(a, 4));
    public static ulong Qword(this TestMachine m, ulong a) => BitConverter.ToUInt64(m.Memory.RamSpan(a, 8));
}
