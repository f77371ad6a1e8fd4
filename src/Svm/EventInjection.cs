using JitVirt.Cpu;
using JitVirt.Cpu.Virtualization;

namespace JitVirt.Svm;

/// <summary>
/// The 32-bit event format of EVENTINJ (VMCB 0x0A8) and EXITINTINFO (0x088), AMD APM vol.2
/// §15.20, Figure 15-4: vector 7:0, type 10:8, EV (error code valid) 11, V (valid) 31; the error
/// code sits in the next 32-bit field.
/// </summary>
public readonly record struct EventInjection(uint Value)
{
    /// <summary>Event types (bits 10:8).</summary>
    public const uint TypeIntr = 0, TypeNmi = 2, TypeException = 3, TypeSoftwareInterrupt = 4;

    public const int TypeShift = 8;
    public const uint ErrorCodeValid = 1u << 11;
    public const uint Valid = 1u << 31;

    public static EventInjection None => default;

    public bool IsValid => (Value & Valid) != 0;
    public byte Vector => (byte)Value;
    public uint Type => (Value >> TypeShift) & 7;
    public bool HasErrorCode => (Value & ErrorCodeValid) != 0;

    public static EventInjection Make(byte vector, uint type, bool hasErrorCode)
        => new(Valid | vector | (type << TypeShift) | (hasErrorCode ? ErrorCodeValid : 0));

    public static EventInjection ExternalInterrupt(byte vector) => Make(vector, TypeIntr, false);

    /// <summary>An exception (type 3); the error code goes to the separate field.</summary>
    public static EventInjection Exception(byte vector, bool hasErrorCode) => Make(vector, TypeException, hasErrorCode);

    /// <summary>
    /// The EXITINTINFO encoding of the event the processor was delivering (APM vol.2 §15.7.2):
    /// external interrupts are type 0, NMI type 2, INT n type 4, and exceptions (INT3/INTO
    /// included: APM vol.2 §15.20 treats them as exceptions) type 3.
    /// </summary>
    public static EventInjection FromDelivery(in EventInDelivery e)
    {
        if (!e.Valid) return None;
        uint type = e.IsNmi ? TypeNmi
            : e.Kind == EventKind.External ? TypeIntr
            : e.Kind == EventKind.Software && !IsSoftwareException(e.Vector) ? TypeSoftwareInterrupt
            : TypeException;
        return Make(e.Vector, type, e.HasErrorCode);
    }

    /// <summary>INT3 (#BP) and INTO (#OF) are software exceptions, reported as type 3.</summary>
    static bool IsSoftwareException(byte vector) => vector is ExceptionVector.Breakpoint or ExceptionVector.Overflow;
}
