using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Runs oracle cases on JitVirt: a CPU in 64-bit mode at CPL 3 (CR4.OSFXSR and OSXMMEXCPT set),
/// whose translator maps exactly the oracle layout's code, stack and scratch pages to RAM frames;
/// every other page is not present. Instructions are decoded and dispatched one at a time through
/// the handler table until RIP falls off the end of the code; a fault is reported, not delivered.
/// </summary>
public sealed class EmulatorExecutor : IInstructionExecutor, IDisposable
{
    readonly PhysicalMemory _memory = new(64 << 10);
    readonly PageMapTranslator _translator = new();
    public Cpu Cpu { get; }
    public OracleLayout Layout { get; }

    /// <summary>Runs after the state is loaded and before the code (tests change CR0/CR4 or FPU state here).</summary>
    public Action<Cpu>? Setup { get; set; }

    /// <summary>When true the x87/MMX/SSE state is not reset before a run (tests chain runs).</summary>
    public bool KeepFpuState { get; set; }

    ulong _codeFrame, _stackFrame, _scratchFrame;

    public EmulatorExecutor(OracleLayout layout)
    {
        Layout = layout;
        Cpu = new Cpu(_memory, _translator);
        ulong next = 1;
        _codeFrame = Map(layout.CodeAddress64, OracleLayout.MaxCodeLength + 16, ref next);
        _stackFrame = Map(layout.StackAddress, layout.StackSize, ref next);
        _scratchFrame = Map(layout.ScratchAddress, layout.ScratchSize, ref next);
    }

    ulong Map(ulong linear, int size, ref ulong nextFrame)
    {
        ulong first = nextFrame;
        for (ulong page = linear & ~0xFFFul; page < linear + (ulong)size; page += 4096)
            _translator.Pages[page] = (nextFrame++) << 12;
        return first;
    }

    ulong Physical(ulong linear) => _translator.Pages[linear & ~0xFFFul] | (linear & 0xFFF);

    /// <summary>64-bit mode, CPL 3, paging on through the page map.</summary>
    public void EnterUserMode64()
    {
        var cpu = Cpu;
        cpu.Reset();
        cpu.Cr0 = Cr0.PE | Cr0.PG | Cr0.MP | Cr0.NE | Cr0.ET;
        cpu.Cr4 = Cr4.PAE | Cr4.OSFXSR | Cr4.OSXMMEXCPT;
        cpu.Efer = Efer.LME | Efer.LMA;
        const uint present = SegmentRegister.Present | SegmentRegister.DescriptorTypeS | (3u << SegmentRegister.DplShift);
        cpu.Segments[SegmentIndex.Cs] = new SegmentRegister { Selector = 0x33, AccessRights = present | 0xB | SegmentRegister.LongMode | SegmentRegister.Granularity, Limit = 0xFFFF_FFFF };
        var data = new SegmentRegister { Selector = 0x2B, AccessRights = present | 0x3 | SegmentRegister.DefaultBig | SegmentRegister.Granularity, Limit = 0xFFFF_FFFF };
        cpu.Segments[SegmentIndex.Ss] = data;
        cpu.Segments[SegmentIndex.Ds] = data;
        cpu.Segments[SegmentIndex.Es] = data;
        cpu.Segments[SegmentIndex.Fs] = data;
        cpu.Segments[SegmentIndex.Gs] = data;
        cpu.UpdateMode();
        cpu.FlushTlb();
        cpu.Pending = 0;
    }

    public void Execute(ExecutionMode mode, byte[] code, OracleState state)
    {
        if (mode != ExecutionMode.Long64) throw new PlatformNotSupportedException("The FPU tests run in 64-bit mode only.");
        EnterUserMode64();
        var cpu = Cpu;
        if (!KeepFpuState) cpu.ResetFpu();
        Array.Copy(state.Gpr, cpu.Gpr, 16);
        cpu.SetRflags((state.Rflags & X86Flags.GuestControlled) | X86Flags.Reserved1);
        for (int k = 0; k < 16; k++) cpu.Xmm[k] = Vector128.Create(state.Xmm[k].Low, state.Xmm[k].High).AsByte();
        cpu.Mxcsr = state.Mxcsr;
        _memory.WriteBytes(Physical(Layout.StackAddress), state.Stack);
        _memory.WriteBytes(Physical(Layout.ScratchAddress), state.Scratch);
        _memory.WriteBytes(Physical(Layout.CodeAddress64), code);
        cpu.FlushTlb();
        cpu.Pending = 0;
        state.ClearOutcome();
        Setup?.Invoke(cpu);
        ulong start = Layout.CodeAddress64, end = start + (ulong)code.Length;
        cpu.Rip = start;
        while (cpu.Rip < end)
        {
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(code, (int)(cpu.Rip - start), (int)(end - cpu.Rip)));
            decoder.IP = cpu.Rip;
            var insn = decoder.Decode();
            cpu.NextRip = insn.NextIP;
            cpu.CodeDelta = 0;
            if (insn.IsInvalid) cpu.RaiseInvalidOpcode();
            else unsafe { HandlerTable.Handlers[(int)insn.Code](cpu, in insn); }
            if (cpu.Faulted)
            {
                var e = cpu.PendingException;
                state.FaultVector = e.Vector;
                state.ErrorCode = e.HasErrorCode ? e.ErrorCode : 0;
                state.FaultAddress = e.Vector == ExceptionVector.PageFault ? cpu.Cr2 : 0;
                cpu.Pending = 0;
                break;
            }
            cpu.Pending = 0;
            cpu.Rip = cpu.NextRip;
        }
        Array.Copy(cpu.Gpr, state.Gpr, 16);
        state.Rflags = (cpu.GetRflags() & X86Flags.Reported) | X86Flags.Reserved1;
        for (int k = 0; k < 16; k++) state.Xmm[k] = new XmmRegister(cpu.Xmm[k].AsUInt64().GetElement(0), cpu.Xmm[k].AsUInt64().GetElement(1));
        state.Mxcsr = cpu.Mxcsr;
        _memory.RamSpan(Physical(Layout.StackAddress), Layout.StackSize).CopyTo(state.Stack);
        _memory.RamSpan(Physical(Layout.ScratchAddress), Layout.ScratchSize).CopyTo(state.Scratch);
    }

    public void Dispose() => _memory.Dispose();
}

/// <summary>A page map: linear page → physical frame address; unmapped pages fault as not present (user, write and fetch bits in the error code).</summary>
public sealed class PageMapTranslator : IAddressTranslator
{
    public readonly Dictionary<ulong, ulong> Pages = new();

    public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        if (Pages.TryGetValue(linear & ~0xFFFul, out ulong frame))
        {
            physical = frame | (linear & 0xFFF);
            pageFaultErrorCode = 0;
            return true;
        }
        physical = 0;
        pageFaultErrorCode = (kind == AccessKind.Write ? 2u : 0) | (user ? 4u : 0) | (kind == AccessKind.Execute ? 16u : 0);
        return false;
    }

    public void Invalidate(Cpu cpu, ulong? linearPage) { }
}
