using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.DataFlow.FormInfo;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// MOVS, CMPS, SCAS, LODS, STOS, INS and OUTS with REP/REPE/REPNE, every operand and address size.
/// The source is seg:(E/R)SI with the segment override; the destination is always ES:(E/R)DI.
/// Each iteration either completes or faults with RCX/RSI/RDI left at that iteration, so the
/// instruction restarts where it stopped (SDM vol.1 §7.3.9.1). A long REP yields after
/// <see cref="IterationsPerSlice"/> iterations with RIP left on itself, which lets interrupts in
/// between iterations as the hardware does. REPNE on MOVS/STOS/LODS/INS/OUTS acts as REP.
/// </summary>
public static unsafe class StringOperations
{
    /// <summary>REP iterations per execution before the instruction re-executes itself.</summary>
    public const int IterationsPerSlice = 4096;

    public static void Register()
    {
        Add(new[] { Mnemonic.Movsb, Mnemonic.Movsw, Mnemonic.Movsd, Mnemonic.Movsq }, &Run<Movs, byte>, &Run<Movs, ushort>, &Run<Movs, uint>, &Run<Movs, ulong>);
        Add(new[] { Mnemonic.Cmpsb, Mnemonic.Cmpsw, Mnemonic.Cmpsd, Mnemonic.Cmpsq }, &Run<Cmps, byte>, &Run<Cmps, ushort>, &Run<Cmps, uint>, &Run<Cmps, ulong>);
        Add(new[] { Mnemonic.Scasb, Mnemonic.Scasw, Mnemonic.Scasd, Mnemonic.Scasq }, &Run<Scas, byte>, &Run<Scas, ushort>, &Run<Scas, uint>, &Run<Scas, ulong>);
        Add(new[] { Mnemonic.Lodsb, Mnemonic.Lodsw, Mnemonic.Lodsd, Mnemonic.Lodsq }, &Run<Lods, byte>, &Run<Lods, ushort>, &Run<Lods, uint>, &Run<Lods, ulong>);
        Add(new[] { Mnemonic.Stosb, Mnemonic.Stosw, Mnemonic.Stosd, Mnemonic.Stosq }, &Run<Stos, byte>, &Run<Stos, ushort>, &Run<Stos, uint>, &Run<Stos, ulong>);
        Add(new[] { Mnemonic.Insb, Mnemonic.Insw, Mnemonic.Insd }, &Run<Ins, byte>, &Run<Ins, ushort>, &Run<Ins, uint>, null);
        Add(new[] { Mnemonic.Outsb, Mnemonic.Outsw, Mnemonic.Outsd }, &Run<Outs, byte>, &Run<Outs, ushort>, &Run<Outs, uint>, null);

        static void Add(Mnemonic[] mnemonics,
            delegate*<Cpu, in Instruction, void> h8, delegate*<Cpu, in Instruction, void> h16,
            delegate*<Cpu, in Instruction, void> h32, delegate*<Cpu, in Instruction, void> h64)
        {
            foreach (var m in mnemonics)
                foreach (var code in HandlerTable.FormsOf(m))
                    // MOVSD/CMPSD also name SSE2 instructions: keep only the string forms.
                    if (HasOperandKind(code, OpCodeOperandKind.es_rDI) || HasOperandKind(code, OpCodeOperandKind.seg_rSI))
                        SetByWidth(code, h8, h16, h32, h64);
        }
    }

    /// <summary>The registers a string instruction walks, as local copies committed when it stops.</summary>
    public struct Cursor
    {
        public ulong Rsi, Rdi;
        public int AddressBytes;
        public ulong AddressMask;
        public int SourceSegment;
        public ulong Step;
        public ushort Port;

        public readonly ulong Si => Rsi & AddressMask;
        public readonly ulong Di => Rdi & AddressMask;
        public void AdvanceSi() => Rsi = MergeAddress(Rsi, Rsi + Step, AddressBytes);
        public void AdvanceDi() => Rdi = MergeAddress(Rdi, Rdi + Step, AddressBytes);
    }

    /// <summary>One iteration of a string instruction: false when it faulted (the cursor is then unchanged).</summary>
    public interface IStringStep
    {
        static abstract bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>;
        /// <summary>CMPS/SCAS: REPE/REPNE also stop on ZF.</summary>
        static abstract bool Compares { get; }
        /// <summary>INS/OUTS: the I/O permission check comes first.</summary>
        static abstract bool UsesPort { get; }
    }

    /// <summary>Runs a string instruction, with or without a repeat prefix.</summary>
    public static void Run<TStep, T>(Cpu cpu, in Instruction i)
        where TStep : IStringStep where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        var c = new Cursor
        {
            Rsi = cpu.Gpr[Gpr.Rsi],
            Rdi = cpu.Gpr[Gpr.Rdi],
            AddressBytes = StringAddressBytes(i.Op0Kind is OpKind.Register ? i.Op1Kind : i.Op0Kind),
            SourceSegment = Cpu.MemorySegment(i),
            Step = cpu.DirectionFlag ? (ulong)(-sizeof(T)) : (ulong)sizeof(T),
            Port = (ushort)cpu.Gpr[Gpr.Rdx],
        };
        c.AddressMask = c.AddressBytes switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };
        bool repeat = i.HasRepPrefix || i.HasRepnePrefix;
        ulong count = cpu.Gpr[Gpr.Rcx] & c.AddressMask;
        if (repeat && count == 0) return;
        if (TStep.UsesPort && !cpu.CheckIoPermission(c.Port, sizeof(T))) return;
        if (!repeat)
        {
            if (TStep.Execute<T>(cpu, ref c)) Commit(cpu, ref c);
            return;
        }
        bool stopOnEqual = TStep.Compares && i.HasRepnePrefix;
        bool stopOnNotEqual = TStep.Compares && i.HasRepePrefix;
        ulong done = 0;
        while (true)
        {
            if (done == IterationsPerSlice)
            {
                cpu.NextRip = cpu.Rip;
                cpu.Pending |= PendingEvent.InterruptCheck; // leave the block; pending interrupts get their chance
                break;
            }
            if (!TStep.Execute<T>(cpu, ref c)) break;
            done++;
            count--;
            if (count == 0) break;
            if (stopOnEqual && cpu.GetZeroFlag()) break;
            if (stopOnNotEqual && !cpu.GetZeroFlag()) break;
        }
        Commit(cpu, ref c);
        if (done != 0) cpu.Gpr[Gpr.Rcx] = MergeAddress(cpu.Gpr[Gpr.Rcx], count, c.AddressBytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Commit(Cpu cpu, ref Cursor c)
    {
        cpu.Gpr[Gpr.Rsi] = c.Rsi;
        cpu.Gpr[Gpr.Rdi] = c.Rdi;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Accumulator<T>(Cpu cpu) where T : unmanaged, IBinaryInteger<T> => T.CreateTruncating(cpu.Gpr[Gpr.Rax]);

    public struct Movs : IStringStep
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            T v = cpu.Read<T>(c.SourceSegment, c.Si);
            if (cpu.Faulted) return false;
            cpu.Write(SegmentIndex.Es, c.Di, v);
            if (cpu.Faulted) return false;
            c.AdvanceSi();
            c.AdvanceDi();
            return true;
        }
    }

    public struct Stos : IStringStep
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            cpu.Write(SegmentIndex.Es, c.Di, Accumulator<T>(cpu));
            if (cpu.Faulted) return false;
            c.AdvanceDi();
            return true;
        }
    }

    public struct Lods : IStringStep
    {
        public static bool Compares => false;
        public static bool UsesPort => false;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            T v = cpu.Read<T>(c.SourceSegment, c.Si);
            if (cpu.Faulted) return false;
            SetGpr(cpu, Gpr.Rax, v);
            c.AdvanceSi();
            return true;
        }
    }

    /// <summary>CMPS: flags of [seg:SI] − ES:[DI] (the source is the first operand; SDM vol.2 CMPS).</summary>
    public struct Cmps : IStringStep
    {
        public static bool Compares => true;
        public static bool UsesPort => false;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            T a = cpu.Read<T>(c.SourceSegment, c.Si);
            if (cpu.Faulted) return false;
            T b = cpu.Read<T>(SegmentIndex.Es, c.Di);
            if (cpu.Faulted) return false;
            cpu.SetFlagsSub(a, b, a - b);
            c.AdvanceSi();
            c.AdvanceDi();
            return true;
        }
    }

    /// <summary>SCAS: flags of AL/AX/EAX/RAX − ES:[DI].</summary>
    public struct Scas : IStringStep
    {
        public static bool Compares => true;
        public static bool UsesPort => false;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            T b = cpu.Read<T>(SegmentIndex.Es, c.Di);
            if (cpu.Faulted) return false;
            T a = Accumulator<T>(cpu);
            cpu.SetFlagsSub(a, b, a - b);
            c.AdvanceDi();
            return true;
        }
    }

    /// <summary>INS: the destination is probed before the port is read, so a fault does not consume device data.</summary>
    public struct Ins : IStringStep
    {
        public static bool Compares => false;
        public static bool UsesPort => true;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            if (!cpu.TryWritableLinear(SegmentIndex.Es, c.Di, sizeof(T), out ulong linear)) return false;
            T v = T.CreateTruncating(cpu.Io.In(c.Port, sizeof(T)));
            cpu.WriteLinear(linear, v, cpu.UserAccess);
            c.AdvanceDi();
            return true;
        }
    }

    public struct Outs : IStringStep
    {
        public static bool Compares => false;
        public static bool UsesPort => true;
        public static bool Execute<T>(Cpu cpu, ref Cursor c) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            T v = cpu.Read<T>(c.SourceSegment, c.Si);
            if (cpu.Faulted) return false;
            cpu.Io.Out(c.Port, sizeof(T), uint.CreateTruncating(v));
            c.AdvanceSi();
            return true;
        }
    }
}
