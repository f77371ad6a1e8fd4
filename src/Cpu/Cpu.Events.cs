namespace JitVirt.Cpu;

/// <summary>Reasons for the executor to leave its fast path after an instruction.</summary>
[Flags]
public enum PendingEvent : uint
{
    None = 0,
    /// <summary>The instruction faulted; <see cref="Cpu.PendingException"/> says how. Nothing was committed.</summary>
    Exception = 1 << 0,
    /// <summary>CR0/CR4/EFER/CS/EFLAGS.VM changed: cached decode mode and blocks may no longer apply.</summary>
    ModeChanged = 1 << 1,
    /// <summary>A write hit a page holding decoded code; the rest of the current block may be stale.</summary>
    CodeInvalidated = 1 << 2,
    /// <summary>HLT executed.</summary>
    Halt = 1 << 3,
    /// <summary>Triple fault or an unrecoverable condition: the processor shut down (SDM vol.3 §7.15, interrupt 8).</summary>
    Shutdown = 1 << 4,
    /// <summary>The host (a device, the front end, the run budget) asked the executor to return.</summary>
    ExitRequested = 1 << 5,
    /// <summary>EFLAGS.IF or the interrupt shadow changed: re-check for deliverable interrupts.</summary>
    InterruptCheck = 1 << 6,
    /// <summary>A single-step or data breakpoint trap is due after this instruction (#DB, SDM vol.3 §18.3.1).</summary>
    DebugTrap = 1 << 7,
}

/// <summary>An exception raised by an instruction, waiting for delivery (SDM vol.3 §7.15).</summary>
public struct PendingExceptionInfo
{
    public byte Vector;
    public bool HasErrorCode;
    public uint ErrorCode;
    /// <summary>Software interrupt (INT n, INT3, INTO): delivered with the trap semantics and gate DPL check.</summary>
    public bool IsSoftwareInterrupt;
    /// <summary>For INT3 and INTO the saved RIP is the next instruction's (they are traps).</summary>
    public bool IsTrap;
}

public sealed partial class Cpu
{
    public PendingEvent Pending;
    public PendingExceptionInfo PendingException;

    /// <summary>Blocks interrupts for one instruction after STI or MOV/POP SS (SDM vol.3 §7.8.3).</summary>
    public bool InterruptShadow;
    public bool Halted;

    /// <summary>True when the instruction has faulted; handlers return at once when they see it.</summary>
    public bool Faulted => (Pending & PendingEvent.Exception) != 0;

    /// <summary>Records a fault with an error code. The handler must return without committing anything.</summary>
    public void RaiseFault(byte vector, uint errorCode)
    {
        if ((Pending & PendingEvent.Exception) != 0) return; // the first fault of an instruction wins
        Pending |= PendingEvent.Exception;
        PendingException = new PendingExceptionInfo { Vector = vector, HasErrorCode = true, ErrorCode = errorCode };
    }

    /// <summary>Records a fault without an error code (#DE, #UD, #NM, #BR, ...).</summary>
    public void RaiseFault(byte vector)
    {
        if ((Pending & PendingEvent.Exception) != 0) return;
        Pending |= PendingEvent.Exception;
        PendingException = new PendingExceptionInfo { Vector = vector };
    }

    /// <summary>Records INT n / INT3 / INTO; delivered after the instruction with RIP = next instruction.</summary>
    public void RaiseSoftwareInterrupt(byte vector, bool isInt3OrInto)
    {
        Pending |= PendingEvent.Exception;
        PendingException = new PendingExceptionInfo { Vector = vector, IsSoftwareInterrupt = !isInt3OrInto, IsTrap = true };
    }

    public void RaiseDivideError() => RaiseFault(ExceptionVector.DivideError);
    public void RaiseInvalidOpcode() => RaiseFault(ExceptionVector.InvalidOpcode);
    public void RaiseGeneralProtection(uint errorCode = 0) => RaiseFault(ExceptionVector.GeneralProtection, errorCode);
    public void RaiseStackFault(uint errorCode = 0) => RaiseFault(ExceptionVector.StackFault, errorCode);

    public void RequestExit() => Pending |= PendingEvent.ExitRequested;
}

/// <summary>Exception and interrupt vectors (SDM vol.3 §7.3, Table 7-1).</summary>
public static class ExceptionVector
{
    public const byte DivideError = 0, Debug = 1, Nmi = 2, Breakpoint = 3, Overflow = 4, BoundRange = 5;
    public const byte InvalidOpcode = 6, DeviceNotAvailable = 7, DoubleFault = 8, CoprocessorSegmentOverrun = 9;
    public const byte InvalidTss = 10, SegmentNotPresent = 11, StackFault = 12, GeneralProtection = 13, PageFault = 14;
    public const byte FloatingPointError = 16, AlignmentCheck = 17, MachineCheck = 18, SimdFloatingPoint = 19;
}
