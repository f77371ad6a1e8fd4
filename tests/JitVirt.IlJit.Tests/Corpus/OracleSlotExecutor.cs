using System.Runtime.Intrinsics;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// The host-oracle catalogue's emulator-side situation (as JitVirtInstructionExecutor in the CPU
/// tests: CPL 3, long or compatibility mode, only the code slot, scratch block and stack mapped at
/// the oracle layout's linear addresses), run either by the interpreter one instruction at a time
/// or by the tiered executor one compiled block at a time (threshold 0: every block compiled
/// before it first runs). Faults are not delivered: the first one is reported with its vector,
/// error code and CR2. The code slot is followed by <c>JMP $</c> (EB FE), which ends the block
/// after the case's code without touching any state, so a compiled block never runs past the slot.
/// </summary>
public sealed class OracleSlotExecutor : IDisposable
{
    const ulong CodeFrame = 0x10_000, ScratchFrame = 0x20_000, StackFrame = 0x30_000;
    static readonly byte[] JumpToSelf = [0xEB, 0xFE];

    /// <summary>The oracle layout at the native executor's preferred base (ExecutorRegion), with no host mapping needed.</summary>
    public static readonly OracleLayout DefaultLayout = new(
        CodeAddress64: 0x5F00_0800, CodeAddress32: 0x5F00_0C00,
        ScratchAddress: 0x5F00_5000, ScratchSize: 0x1000,
        StackAddress: 0x5F00_3000, StackSize: 0x1000);

    readonly TestMachine _machine;
    readonly OraclePageTranslator _translator = new();
    readonly TieredExecutor? _tiered;

    public OracleLayout Layout { get; }
    public JitVirt.Cpu.Cpu Cpu => _machine.Cpu;
    public TieredExecutor? Tiered => _tiered;

    public OracleSlotExecutor(OracleLayout layout, bool compiled)
    {
        Layout = layout;
        _machine = new TestMachine(1 << 20, _translator);
        if (compiled) _tiered = new TieredExecutor(_machine.Cpu, _machine.Interpreter, threshold: 0);
        MapRange(layout.CodeAddress64 & ~0xFFFul, CodeFrame, 2, writable: false);
        if (!_translator.IsMapped(layout.CodeAddress32)) MapRange(layout.CodeAddress32 & ~0xFFFul, CodeFrame + 0x2000, 2, writable: false);
        MapRange(layout.ScratchAddress, ScratchFrame, (layout.ScratchSize + 4095) / 4096, writable: true);
        MapRange(layout.StackAddress, StackFrame, (layout.StackSize + 4095) / 4096, writable: true);
    }

    void MapRange(ulong linear, ulong physical, int pages, bool writable)
    {
        for (int p = 0; p < pages; p++) _translator.Map(linear + (ulong)p * 4096, physical + (ulong)p * 4096, writable);
    }

    /// <summary>Runs <paramref name="code"/> from <paramref name="state"/> until RIP leaves the slot or a fault; the outcome goes into <paramref name="state"/>.</summary>
    public void Execute(ExecutionMode mode, byte[] code, OracleState state)
    {
        var cpu = _machine.Cpu;
        var mem = _machine.Memory;
        OracleUserMode.Enter(cpu, mode);
        cpu.ResetFpu();

        ulong codeAddress = Layout.CodeAddress(mode);
        mem.WriteBytes(_translator.PhysicalOf(codeAddress), code);
        mem.WriteBytes(_translator.PhysicalOf(codeAddress + (ulong)code.Length), JumpToSelf);
        mem.WriteBytes(ScratchFrame, state.Scratch);
        mem.WriteBytes(StackFrame, state.Stack);

        int gprCount = mode == ExecutionMode.Long64 ? 16 : 8;
        for (int r = 0; r < 16; r++) cpu.Gpr[r] = r >= gprCount ? 0 : mode == ExecutionMode.Long64 ? state.Gpr[r] : state.Gpr[r] & 0xFFFF_FFFF;
        cpu.SetRflags(state.Rflags | Rflags.IF);
        for (int k = 0; k < 16; k++) cpu.Xmm[k] = Vector128.Create(state.Xmm[k].Low, state.Xmm[k].High).AsByte();
        cpu.Mxcsr = state.Mxcsr;
        cpu.Rip = codeAddress;
        cpu.Pending = JitVirt.Cpu.PendingEvent.None;

        state.ClearOutcome();
        ulong end = codeAddress + (ulong)code.Length;
        for (int guard = 0; cpu.Rip >= codeAddress && cpu.Rip < end && guard < 1 << 16; guard++)
        {
            if (Step()) continue;
            var e = cpu.PendingException;
            state.FaultVector = e.Vector;
            state.ErrorCode = e.HasErrorCode ? e.ErrorCode : 0;
            if (e.Vector == JitVirt.Cpu.ExceptionVector.PageFault) state.FaultAddress = cpu.Cr2;
            cpu.Pending = JitVirt.Cpu.PendingEvent.None;
            break;
        }
        for (int r = 0; r < gprCount; r++) state.Gpr[r] = cpu.Gpr[r];
        state.Rflags = cpu.GetRflags();
        for (int k = 0; k < 16; k++) state.Xmm[k] = new XmmRegister(cpu.Xmm[k].AsUInt64().GetElement(0), cpu.Xmm[k].AsUInt64().GetElement(1));
        state.Mxcsr = cpu.Mxcsr;
        mem.ReadBytes(ScratchFrame, state.Scratch);
        mem.ReadBytes(StackFrame, state.Stack);
    }

    bool Step() => _tiered is { } t ? t.StepBlockWithoutDelivery(out _) : _machine.Interpreter.StepWithoutDelivery();

    public void Dispose() => _machine.Dispose();
}
