namespace JitVirt.SingleStep;

/// <summary>
/// The emulator under test, as seen by <see cref="SingleStepRunner"/>. One call runs one test:
/// load <see cref="RealModeSetup.Registers"/> into a real-mode CPU, write
/// <see cref="RealModeSetup.Memory"/> into a flat 16 MB memory in which every other byte is 0,
/// start at CS:IP and run until the CPU executes an HLT (F4). For a branch, interrupt or
/// exception that HLT is the one at the target, not the one after the instruction
/// (README "Running a test"). Report the registers as they are after the HLT, i.e. with IP one
/// past it, and expose the memory for read-back.
/// </summary>
/// <remarks>
/// Addresses are 24-bit linear addresses (segment × 16 + offset, no 1 MB wrap: README says
/// addresses above 1 MB are used as if A20 were enabled). How the emulator models the 286's
/// 24 address lines is its own concern. Implementations may reuse one memory between calls but
/// must not let bytes of an earlier test leak into the next. Exceptions thrown by
/// <see cref="Run"/> are caught by the runner and reported as <see cref="RealModeStatus.HostError"/>.
/// </remarks>
public interface IRealModeCpu
{
    RealModeResult Run(RealModeSetup setup);
}
