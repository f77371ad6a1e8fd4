namespace JitVirt.SingleStep;

public enum RealModeStatus
{
    /// <summary>The CPU executed the HLT that ends the test.</summary>
    Ok,

    /// <summary>No HLT within <see cref="RealModeSetup.InstructionLimit"/> instructions
    /// (or the CPU shut down / triple-faulted).</summary>
    Hung,

    /// <summary>The emulator itself failed (unimplemented opcode, internal exception, …).</summary>
    HostError,
}
