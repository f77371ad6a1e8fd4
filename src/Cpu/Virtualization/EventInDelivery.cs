namespace JitVirt.Cpu.Virtualization;

/// <summary>
/// The event the processor was delivering when another exception arose: what SVM reports in
/// EXITINTINFO (AMD APM vol.2 §15.7.2) and VMX in the IDT-vectoring information field (SDM vol.3C
/// §28.2.4). <see cref="Valid"/> is false outside event delivery.
/// </summary>
public readonly record struct EventInDelivery(bool Valid, byte Vector, EventKind Kind, bool IsNmi, bool HasErrorCode, uint ErrorCode)
{
    public static EventInDelivery None => default;
}
