namespace JitVirt.Vmx;

/// <summary>The exit-information fields of one VM exit and the guest RIP it left (read with VMREAD, SDM vol.3C §25.9).</summary>
public readonly record struct VmxExitRecord(
    uint ExitReason, ulong Qualification, uint InstructionLength, uint InterruptionInfo, uint InterruptionErrorCode,
    uint IdtVectoringInfo, uint IdtVectoringErrorCode, ulong GuestLinearAddress, ulong GuestRip)
{
    public int BasicReason => (ushort)ExitReason;

    internal static VmxExitRecord Capture(VmxFrontEnd vmm)
    {
        var hw = vmm.Hardware;
        ulong R(uint f) { hw.Vmread(f, out ulong v); return v; }
        return new((uint)R(VmcsField.ExitReason), R(VmcsField.ExitQualification), (uint)R(VmcsField.VmExitInstructionLength),
            (uint)R(VmcsField.VmExitInterruptionInfo), (uint)R(VmcsField.VmExitInterruptionErrorCode), (uint)R(VmcsField.IdtVectoringInfo),
            (uint)R(VmcsField.IdtVectoringErrorCode), R(VmcsField.GuestLinearAddress), R(VmcsField.GuestRip));
    }
}
