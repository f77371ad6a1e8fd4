using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Frontend;
using Xunit;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>Descriptor encoders (SDM vol.3 §3.4.5 Figure 3-8, §5.8.3 Figure 5-8, §8.2.2 Figure 8-3).</summary>
public static class Desc
{
    public static ulong Segment(uint @base, uint limit, uint type, int dpl, bool s = true, bool present = true,
        bool db = true, bool g = false, bool l = false)
        => (limit & 0xFFFF)
           | ((ulong)(@base & 0xFF_FFFF) << 16)
           | ((ulong)type << 40)
           | (s ? 1ul << 44 : 0)
           | ((ulong)dpl << 45)
           | (present ? 1ul << 47 : 0)
           | ((ulong)((limit >> 16) & 0xF) << 48)
           | (l ? 1ul << 53 : 0)
           | (db ? 1ul << 54 : 0)
           | (g ? 1ul << 55 : 0)
           | ((ulong)(@base >> 24) << 56);

    /// <summary>Flat 4 GiB execute/read code, 32-bit.</summary>
    public static ulong Code32(int dpl, bool conforming = false) => Segment(0, 0xFFFFF, conforming ? 0xEu : 0xAu, dpl, g: true);
    /// <summary>Flat 4 GiB read/write data, 32-bit (B=1).</summary>
    public static ulong Data32(int dpl) => Segment(0, 0xFFFFF, 0x2, dpl, g: true);
    public static ulong Code16(int dpl) => Segment(0, 0xFFFF, 0xA, dpl, db: false);
    public static ulong Code64(int dpl) => Segment(0, 0xFFFFF, 0xA, dpl, db: false, g: true, l: true);

    public static ulong Gate(ushort selector, uint offset, uint type, int dpl, int parameters = 0, bool present = true)
        => (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)(parameters & 0x1F) << 32) | ((ulong)type << 40)
           | ((ulong)dpl << 45) | (present ? 1ul << 47 : 0) | ((ulong)(offset >> 16) << 48);

    public static ulong Tss(uint @base, uint limit, uint type, int dpl = 0, bool present = true)
        => Segment(@base, limit, type, dpl, s: false, present: present, db: false);
}

/// <summary>
/// A <see cref="TestMachine"/> with a GDT at <see cref="GdtBase"/> and helpers to enter protected
/// or long mode directly (as a test fixture, not through MOV CR0), and to execute single
/// instructions without delivering their faults, so tests can read the exact vector and error code.
/// </summary>
public sealed class SegmentsMachine : IDisposable
{
    public const ulong GdtBase = 0x1000, LdtBase = 0x2000, CodeBase = 0x10000;
    public const ushort Code0 = 0x08, Data0 = 0x10, Code3 = 0x1B, Data3 = 0x23, Code16 = 0x28, Code64 = 0x30;

    public TestMachine M { get; } = new();
    public Cpu Cpu => M.Cpu;

    public SegmentsMachine()
    {
        HandlerTable.EnsureInitialized();
        SetGdt(1, Desc.Code32(0));
        SetGdt(2, Desc.Data32(0));
        SetGdt(3, Desc.Code32(3));
        SetGdt(4, Desc.Data32(3));
        SetGdt(5, Desc.Code16(0));
        SetGdt(6, Desc.Code64(0));
    }

    public void SetGdt(int index, ulong descriptor) => Write64(GdtBase + (ulong)index * 8, descriptor);
    public ulong Gdt(int index) => Read64(GdtBase + (ulong)index * 8);
    public void SetLdt(int index, ulong descriptor) => Write64(LdtBase + (ulong)index * 8, descriptor);

    public void Write64(ulong a, ulong v) => M.Memory.WriteBytes(a, BitConverter.GetBytes(v));
    public void Write32(ulong a, uint v) => M.Memory.WriteBytes(a, BitConverter.GetBytes(v));
    public void Write16(ulong a, ushort v) => M.Memory.WriteBytes(a, BitConverter.GetBytes(v));
    public ulong Read64(ulong a) => BitConverter.ToUInt64(M.Memory.RamSpan(a, 8));
    public uint Read32(ulong a) => BitConverter.ToUInt32(M.Memory.RamSpan(a, 4));
    public ushort Read16(ulong a) => BitConverter.ToUInt16(M.Memory.RamSpan(a, 2));

    /// <summary>Loads a segment register's cache straight from the GDT/LDT entry (fixture setup, no checks).</summary>
    public void Force(int seg, ushort selector)
    {
        ulong table = (selector & 4) != 0 ? LdtBase : GdtBase;
        var d = new SegmentDescriptor(Read64(table + (ulong)(selector & ~7)));
        Cpu.Segments[seg] = d.ToSegmentRegister(selector);
        Cpu.Segments[seg].AccessRights |= 1;
    }

    /// <summary>Protected mode with CS/SS/DS/ES/FS/GS from the GDT (CPL = the code selector's DPL).</summary>
    public void EnterProtected(ushort cs = Code0, ushort data = Data0, ulong rip = CodeBase, ulong esp = 0x9000)
    {
        var cpu = Cpu;
        cpu.Reset();
        cpu.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x3FF };
        cpu.Cr0 |= State.Cr0.PE;
        for (int s = 0; s < SegmentIndex.Count; s++) Force(s, data);
        Force(SegmentIndex.Cs, cs);
        cpu.Rip = rip;
        cpu.Gpr[State.Gpr.Rsp] = esp;
        cpu.UpdateMode();
        cpu.Pending = 0;
    }

    /// <summary>IA-32e mode with paging on (identity translator) and CS = the 64-bit code segment.</summary>
    public void EnterLong64(ulong rip = CodeBase, ulong rsp = 0x9000)
    {
        EnterProtected(Code64, Data0, rip, rsp);
        Cpu.Cr4 |= State.Cr4.PAE;
        Cpu.Efer |= State.Efer.LME | State.Efer.LMA;
        Cpu.Cr0 |= State.Cr0.PG;
        Cpu.UpdateMode();
        Cpu.Pending = 0;
    }

    public byte[] Code(int bitness, Action<Assembler> emit, ulong address = CodeBase) => M.Load(bitness, address, emit);

    /// <summary>
    /// Executes the instruction at CS:RIP as the interpreter would (NextRip, handler, RIP commit),
    /// but leaves a fault pending instead of delivering it. Returns false when it faulted.
    /// </summary>
    public unsafe bool Step()
    {
        var cpu = Cpu;
        cpu.Pending &= PendingEvent.Exception;
        Assert.False(cpu.Faulted, "a fault from an earlier step is still pending");
        ulong linear = cpu.Segments[SegmentIndex.Cs].Base + cpu.Rip;
        if (!cpu.Is64BitMode) linear &= 0xFFFF_FFFF;
        var bytes = M.Memory.RamSpan(linear, 16).ToArray();
        var decoder = Decoder.Create((int)cpu.CodeMode, new ByteArrayCodeReader(bytes));
        decoder.IP = cpu.Rip;
        decoder.Decode(out var insn);
        cpu.CodeDelta = 0;
        cpu.NextRip = insn.NextIP & cpu.IpMask;
        HandlerTable.Handlers[(int)insn.Code](cpu, in insn);
        if (cpu.Faulted) return false;
        cpu.Rip = cpu.NextRip;
        return true;
    }

    public void Steps(int n)
    {
        for (int k = 0; k < n; k++) Assert.True(Step(), $"step {k} faulted: vector {Cpu.PendingException.Vector} error {Cpu.PendingException.ErrorCode:X}");
    }

    /// <summary>Asserts the pending fault and clears it.</summary>
    public void AssertFault(byte vector, uint? errorCode)
    {
        Assert.True(Cpu.Faulted, "expected a fault");
        Assert.Equal(vector, Cpu.PendingException.Vector);
        if (errorCode is { } e)
        {
            Assert.True(Cpu.PendingException.HasErrorCode);
            Assert.Equal(e, Cpu.PendingException.ErrorCode);
        }
        Cpu.Pending &= ~PendingEvent.Exception;
    }

    public void Dispose() => M.Dispose();
}
