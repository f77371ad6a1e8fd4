using System.Runtime.Intrinsics;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>
/// The emulator side of the host-CPU oracle: runs the code slot on JitVirt's interpreter in the
/// same situation as <see cref="NativeExecutor"/> — CPL 3, 64-bit or compatibility mode, with only
/// the code slot, the scratch block and the stack mapped at the oracle layout's linear addresses —
/// instruction by instruction until RIP leaves the slot, and reports GPRs, RFLAGS, XMM, MXCSR and
/// memory afterwards, or the first fault with its error code (not delivered).
/// </summary>
public sealed class JitVirtInstructionExecutor : IInstructionExecutor, IDisposable
{
    const ulong CodeFrame = 0x10_000, ScratchFrame = 0x20_000, StackFrame = 0x30_000;

    readonly TestMachine _machine;
    readonly OraclePageTranslator _translator = new();

    public OracleLayout Layout { get; }
    public Cpu Cpu => _machine.Cpu;

    /// <summary>Runs after the state is loaded and before the code (tests change CR0/CR4 or FPU state here).</summary>
    public Action<Cpu>? Setup { get; set; }

    /// <summary>When true the x87/MMX/SSE state is kept from the previous run instead of reset (tests chain runs).</summary>
    public bool KeepFpuState { get; set; }

    public JitVirtInstructionExecutor(OracleLayout layout)
    {
        Layout = layout;
        _machine = new TestMachine(1 << 20, _translator);
        MapRange(layout.CodeAddress64 & ~0xFFFul, CodeFrame, 2, writable: false);
        if (!_translator.IsMapped(layout.CodeAddress32)) MapRange(layout.CodeAddress32 & ~0xFFFul, CodeFrame + 0x2000, 2, writable: false);
        MapRange(layout.ScratchAddress, ScratchFrame, (layout.ScratchSize + 4095) / 4096, writable: true);
        MapRange(layout.StackAddress, StackFrame, (layout.StackSize + 4095) / 4096, writable: true);
    }

    void MapRange(ulong linear, ulong physical, int pages, bool writable)
    {
        for (int p = 0; p < pages; p++)
            _translator.Map(linear + (ulong)p * 4096, physical + (ulong)p * 4096, writable);
    }

    public void Execute(ExecutionMode mode, byte[] code, OracleState state)
    {
        var cpu = _machine.Cpu;
        var mem = _machine.Memory;
        OracleUserMode.Enter(cpu, mode);
        if (!KeepFpuState) cpu.ResetFpu();

        ulong codeAddress = Layout.CodeAddress(mode);
        mem.WriteBytes(_translator.PhysicalOf(codeAddress), code);
        mem.WriteBytes(ScratchFrame, state.Scratch);
        mem.WriteBytes(StackFrame, state.Stack);

        int gprCount = mode == ExecutionMode.Long64 ? 16 : 8;
        for (int r = 0; r < gprCount; r++) cpu.Gpr[r] = mode == ExecutionMode.Long64 ? state.Gpr[r] : state.Gpr[r] & 0xFFFF_FFFF;
        cpu.SetRflags(state.Rflags | Rflags.IF);
        for (int k = 0; k < 16; k++) cpu.Xmm[k] = Vector128.Create(state.Xmm[k].Low, state.Xmm[k].High).AsByte();
        cpu.Mxcsr = state.Mxcsr;
        cpu.Rip = codeAddress;
        cpu.Pending = PendingEvent.None;
        Setup?.Invoke(cpu);

        state.ClearOutcome();
        ulong end = codeAddress + (ulong)code.Length;
        while (cpu.Rip >= codeAddress && cpu.Rip < end)
        {
            if (_machine.Interpreter.StepWithoutDelivery()) continue;
            var e = cpu.PendingException;
            state.FaultVector = e.Vector;
            state.ErrorCode = e.HasErrorCode ? e.ErrorCode : 0;
            if (e.Vector == ExceptionVector.PageFault) state.FaultAddress = cpu.Cr2;
            cpu.Pending = PendingEvent.None;
            break;
        }
        for (int r = 0; r < gprCount; r++) state.Gpr[r] = cpu.Gpr[r];
        state.Rflags = cpu.GetRflags();
        for (int k = 0; k < 16; k++) state.Xmm[k] = new XmmRegister(cpu.Xmm[k].AsUInt64().GetElement(0), cpu.Xmm[k].AsUInt64().GetElement(1));
        state.Mxcsr = cpu.Mxcsr;
        mem.ReadBytes(ScratchFrame, state.Scratch);
        mem.ReadBytes(StackFrame, state.Stack);
    }

    /// <summary>Long mode active, paging on (our translator), CPL 3 with a 64-bit or 32-bit code segment.</summary>
    public void Dispose() => _machine.Dispose();
}
