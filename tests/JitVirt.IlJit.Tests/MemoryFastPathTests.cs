using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Frontend;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// The inline memory fast path on one compiled block: which forms are inlined, that a TLB hit
/// runs without the interpreter's handler, and that every case the fast path must not handle
/// (a miss, a write to a frame holding code or a watched page table) reaches the handler, which
/// does the invalidation or the page-table pre-write.
/// </summary>
public sealed unsafe class MemoryFastPathTests
{
    const ulong Data = BareMetal.DataAddress;

    [ThreadStatic] static int _handlerCalls;

    /// <summary>Counts a call, then runs the interpreter's own handler for the instruction.</summary>
    static void CountingHandler(JitVirt.Cpu.Cpu cpu, in Instruction i)
    {
        _handlerCalls++;
        ((delegate*<JitVirt.Cpu.Cpu, in Instruction, void>)HandlerTable.Handlers[(int)i.Code])(cpu, i);
    }

    public static TheoryData<string, string> Forms() => new()
    {
        { "mov rax, [rsi+8]", "Load" }, { "mov eax, [rsi+rcx*4-4]", "Load" }, { "mov rax, [rip+0x100]", "Load" },
        { "mov [rsi], rbx", "Store" }, { "mov dword [rsi], 5", "Store" }, { "mov qword [fs:rsi], -1", "Store" },
        { "add rax, [rsi]", "BinaryLoad" }, { "cmp ebx, [rsi+4]", "BinaryLoad" },
        { "sub [rsi], rax", "BinaryMemory" }, { "test [rsi], eax", "BinaryMemory" }, { "xor qword [rsi], 0x7F", "BinaryMemory" },
        { "push rbx", "Push" }, { "push 0x1234", "Push" }, { "pop r12", "Pop" }, { "call rel32", "Call" }, { "ret", "Ret" },
        { "mov [rsi], cx", "Store" }, { "mov byte [rsi], 7", "Store" }, { "cmp byte [rsi], 0", "BinaryMemory" }, { "add [rsi+1], ah", "BinaryMemory" },
        { "movzx eax, byte [rsi]", "LoadExtend" }, { "movsx rax, word [rsi]", "LoadExtend" }, { "movsxd rax, dword [rsi]", "LoadExtend" },
        // Not inlined: 8/16-bit register destinations, LOCK, 32-bit address size, 16-bit push.
        { "mov al, [rsi]", "None" }, { "add cx, [rsi]", "None" }, { "lock add [rsi], eax", "None" }, { "mov eax, [esi]", "None" }, { "push cx", "None" }, { "ret 8", "None" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Classifies_the_memory_forms(string text, string expected)
    {
        var i = Assemble(text);
        Assert.Equal(expected, InlineForms.Classify(i).ToString());
        if (expected != "None") Assert.True(InlineForms.IsMemory(InlineForms.Classify(i)));
    }

    /// <summary>The flag-liveness facts: memory forms may leave with the record before them live; the ALU ones replace it.</summary>
    [Fact]
    public void Memory_forms_read_flags_and_alu_memory_forms_write_them()
    {
        foreach (var k in new[] { InlineForms.Kind.Load, InlineForms.Kind.Store, InlineForms.Kind.Push, InlineForms.Kind.Pop, InlineForms.Kind.Call, InlineForms.Kind.Ret })
        {
            Assert.True(InlineForms.ReadsFlags(k));
            Assert.False(InlineForms.WritesFlags(k));
        }
        Assert.True(InlineForms.WritesFlags(InlineForms.Kind.BinaryLoad) && InlineForms.WritesFlags(InlineForms.Kind.BinaryMemory));
        // A register ADD before a load is live (a fault there shows it); one before another ADD is dead.
        var dead = FlagLiveness.DeadFlagWrites([InlineForms.Kind.Binary, InlineForms.Kind.Load, InlineForms.Kind.Binary, InlineForms.Kind.Binary, InlineForms.Kind.None]);
        Assert.Equal(new[] { false, false, true, false, false }, dead);
    }

    static void Program(Assembler a)
    {
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rax, __qword_ptr[rsi + 8]);
        a.mov(__qword_ptr[rsi + 16], rax);
        a.sub(__dword_ptr[rsi + 24], 3);
        a.push(rax);
        a.pop(rbx);
        a.cmp(__qword_ptr[rsi + 16], rbx);
        End(a);
    }

    /// <summary>A JMP ends the block (a helper), landing on HLT.</summary>
    static void End(Assembler a)
    {
        var end = a.CreateLabel();
        a.jmp(end);
        a.Label(ref end);
        a.hlt();
    }

    const int MemoryInstructions = 7;

    [Fact]
    public void A_tlb_hit_runs_inline_and_a_miss_calls_the_handler()
    {
        using var m = new BareMetal(Program);
        var cpu = m.Cpu;
        var (block, compiled) = CompileWithCountingHandlers(m);
        ulong stack = cpu.Gpr[4];

        // Warm both tables for the data and stack pages, as earlier accesses would have.
        Setup(m);
        foreach (var kind in new[] { AccessKind.Read, AccessKind.Write })
        {
            Assert.True(cpu.TranslateLinear(Data, kind, false, out _));
            Assert.True(cpu.TranslateLinear(stack - 8, kind, false, out _));
        }
        _handlerCalls = 0;
        int done = compiled.Run(cpu, long.MaxValue);
        Assert.Equal(MemoryInstructions + 1, done);
        Assert.Equal(1, _handlerCalls); // only the JMP
        AssertResults(m, stack);

        // Same block after a TLB flush: the first access of each (page, read/write table) misses and
        // runs its handler, which fills the entry, so the later ones hit: MOV load (data, read),
        // MOV store (data, write; SUB's read-modify-write then hits it), PUSH (stack, write),
        // POP (stack, read); ADD and CMP hit the data page's read entry. Plus the JMP.
        Setup(m);
        cpu.FlushTlb();
        _handlerCalls = 0;
        compiled.Run(cpu, long.MaxValue);
        Assert.Equal(4 + 1, _handlerCalls);
        AssertResults(m, stack);
        GC.KeepAlive(block);
    }

    static void Setup(BareMetal m)
    {
        var cpu = m.Cpu;
        m.Restart();
        cpu.Pending = 0;
        cpu.CodeDelta = 0;
        cpu.Gpr[6] = Data;
        m.Memory.Write(Data, 8, 0x1111_2222_3333_4444);
        m.Memory.Write(Data + 8, 8, 0x0101_0101_0101_0101);
        m.Memory.Write(Data + 16, 8, 0);
        m.Memory.Write(Data + 24, 8, 0xFFFF_FFFF_0000_0001);
    }

    static void AssertResults(BareMetal m, ulong stack)
    {
        const ulong sum = 0x1111_2222_3333_4444 + 0x0101_0101_0101_0101;
        Assert.Equal(sum, m.Cpu.Gpr[0]);
        Assert.Equal(sum, m.Cpu.Gpr[3]);
        Assert.Equal(sum, m.Memory.Read(Data + 16, 8));
        Assert.Equal(sum, m.Memory.Read(stack - 8, 8));
        Assert.Equal(stack, m.Cpu.Gpr[4]);
        // The dword at +24 is 1 - 3 (wraps at 32 bits); the high dword is untouched.
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEul, m.Memory.Read(Data + 24, 8));
        Assert.True(m.Cpu.GetZeroFlag()); // CMP of equal values (SDM vol.2 CMP)
        Assert.Equal(BareMetal.CodeAddress + (ulong)m.Code.Length - 1, m.Cpu.Rip); // at the HLT the JMP reaches
    }

    /// <summary>
    /// A write-TLB entry for a data page filled while it was plain RAM, then the page starts
    /// holding code (the executor protects the frame): an inline store there must not use the
    /// old entry, but reach the handler, which raises the code invalidation, and the body exits
    /// right after the store.
    /// </summary>
    [Fact]
    public void A_store_into_a_frame_that_became_code_goes_through_the_handler()
    {
        using var m = new BareMetal(a => { a.mov(__dword_ptr[rsi + 0x40], eax); a.mov(ebx, 1); End(a); });
        var cpu = m.Cpu;
        var (_, compiled) = CompileWithCountingHandlers(m);
        Setup(m);
        var invalidated = new List<ulong>();
        cpu.CodeFrameInvalidated += f => invalidated.Add(f);
        Assert.True(cpu.TranslateLinear(Data, AccessKind.Write, false, out _)); // a plain-RAM write entry
        cpu.ProtectCodeFrame(Data >> 12);
        cpu.Gpr[0] = 0xCAFE_F00D;
        _handlerCalls = 0;
        int done = compiled.Run(cpu, long.MaxValue);
        Assert.Equal(1, _handlerCalls);
        Assert.Equal(new[] { Data >> 12 }, invalidated);
        Assert.Equal(1, done); // the store completed; the block returned for the invalidation
        Assert.Equal(0xCAFE_F00Dul, m.Memory.Read(Data + 0x40, 4));
        Assert.NotEqual(1ul, cpu.Gpr[3]);
    }

    /// <summary>
    /// As the shadow MMU watches a guest page-table frame (ShadowMmu.Pages: watch, then drop the
    /// frame's write entries): an inline store into it reaches PhysicalMemory's page-table write
    /// notification (kvm_mmu_pre_write) with the store's address and size.
    /// </summary>
    [Fact]
    public void A_store_into_a_watched_page_table_frame_is_seen()
    {
        using var m = new BareMetal(a => { a.mov(__qword_ptr[rsi + 0x88], rax); a.add(__qword_ptr[rsi + 0x90], rax); End(a); });
        var cpu = m.Cpu;
        var (_, compiled) = CompileWithCountingHandlers(m);
        Setup(m);
        var writes = new List<(ulong, int)>();
        m.Memory.PageTableFrameWritten += (address, size) => writes.Add((address, size));
        Assert.True(cpu.TranslateLinear(Data, AccessKind.Write, false, out _));
        Assert.True(m.Memory.WatchPageTableFrame(Data >> 12));
        cpu.Tlb.FlushWritesToFrame(Data >> 12);
        cpu.Gpr[0] = 0x8000_0000_0000_0067;
        _handlerCalls = 0;
        compiled.Run(cpu, long.MaxValue);
        Assert.Equal(new[] { (Data + 0x88, 8), (Data + 0x90, 8) }, writes);
        Assert.Equal(3, _handlerCalls); // both stores and the JMP
        Assert.Equal(0x8000_0000_0000_0067ul, m.Memory.Read(Data + 0x88, 8));
    }

    /// <summary>Compiles the block at the program's start with every handler replaced by <see cref="CountingHandler"/>.</summary>
    static (DecodedBlock, CompiledBlock) CompileWithCountingHandlers(BareMetal m)
    {
        HandlerTable.EnsureInitialized();
        var page = new byte[4096];
        m.Memory.ReadBytes(BareMetal.CodeAddress, page);
        var block = new BlockDecoder().Decode(page, () => null, BareMetal.CodeAddress, CodeMode.Bits64, BareMetal.CodeAddress);
        var handlers = new nint[block.Instructions.Length];
        delegate*<JitVirt.Cpu.Cpu, in Instruction, void> counting = &CountingHandler;
        for (int k = 0; k < handlers.Length; k++) handlers[k] = (nint)counting;
        block.Handlers = handlers;
        return (block, BlockCompiler.Compile(block));
    }

    static Instruction Assemble(string text)
    {
        var a = new Assembler(64);
        switch (text)
        {
            case "mov rax, [rsi+8]": a.mov(rax, __qword_ptr[rsi + 8]); break;
            case "mov eax, [rsi+rcx*4-4]": a.mov(eax, __dword_ptr[rsi + rcx * 4 - 4]); break;
            case "mov rax, [rip+0x100]": { var l = a.CreateLabel(); a.mov(rax, __qword_ptr[l]); a.Label(ref l); a.nop(); break; }
            case "mov [rsi], rbx": a.mov(__qword_ptr[rsi], rbx); break;
            case "mov dword [rsi], 5": a.mov(__dword_ptr[rsi], 5); break;
            case "mov qword [fs:rsi], -1": a.mov(__qword_ptr.fs[rsi], -1); break;
            case "add rax, [rsi]": a.add(rax, __qword_ptr[rsi]); break;
            case "cmp ebx, [rsi+4]": a.cmp(ebx, __dword_ptr[rsi + 4]); break;
            case "sub [rsi], rax": a.sub(__qword_ptr[rsi], rax); break;
            case "test [rsi], eax": a.test(__dword_ptr[rsi], eax); break;
            case "xor qword [rsi], 0x7F": a.xor(__qword_ptr[rsi], 0x7F); break;
            case "push rbx": a.push(rbx); break;
            case "push 0x1234": a.push(0x1234); break;
            case "pop r12": a.pop(r12); break;
            case "call rel32": { var l = a.CreateLabel(); a.call(l); a.Label(ref l); a.nop(); break; }
            case "ret": a.ret(); break;
            case "mov al, [rsi]": a.mov(al, __byte_ptr[rsi]); break;
            case "mov [rsi], cx": a.mov(__word_ptr[rsi], cx); break;
            case "mov byte [rsi], 7": a.mov(__byte_ptr[rsi], 7); break;
            case "cmp byte [rsi], 0": a.cmp(__byte_ptr[rsi], 0); break;
            case "add [rsi+1], ah": a.add(__byte_ptr[rsi + 1], ah); break;
            case "movzx eax, byte [rsi]": a.movzx(eax, __byte_ptr[rsi]); break;
            case "movsx rax, word [rsi]": a.movsx(rax, __word_ptr[rsi]); break;
            case "movsxd rax, dword [rsi]": a.movsxd(rax, __dword_ptr[rsi]); break;
            case "add cx, [rsi]": a.add(cx, __word_ptr[rsi]); break;
            case "lock add [rsi], eax": a.@lock.add(__dword_ptr[rsi], eax); break;
            case "mov eax, [esi]": a.mov(eax, __dword_ptr[esi]); break;
            case "push cx": a.push(cx); break;
            case "ret 8": a.ret(8); break;
            default: throw new ArgumentException(text);
        }
        var w = new CodeWriterImpl();
        a.Assemble(w, 0x1000);
        var d = Decoder.Create(64, w.Bytes.ToArray());
        d.IP = 0x1000;
        return d.Decode();
    }

    sealed class CodeWriterImpl : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
