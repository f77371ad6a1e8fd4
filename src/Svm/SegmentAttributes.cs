using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;

namespace JitVirt.Svm;

/// <summary>
/// The VMCB segment attribute format (AMD APM vol.2 §15.5.1, Table B-2 note): 12 bits, bits 7:0 =
/// descriptor byte 5 (type, S, DPL, P) and bits 11:8 = descriptor bits 55:52 (AVL, L, D/B, G).
/// The Cpu keeps the VMX access-rights layout (those four bits at 15:12, "unusable" at 16), so the
/// conversion is a shift. SVM has no "unusable" bit: 2.6.20's svm_get_segment reports a segment
/// unusable when P is clear, and that is the rule used both ways here.
/// </summary>
public static class SegmentAttributes
{
    public const ushort Present = 1 << 7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromAccessRights(uint accessRights)
    {
        uint attrib = (accessRights & 0xFF) | ((accessRights >> 4) & 0xF00);
        if ((accessRights & SegmentRegister.Unusable) != 0) attrib &= ~(uint)Present;
        return (ushort)attrib;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ToAccessRights(ushort attrib)
    {
        uint ar = (attrib & 0xFFu) | ((attrib & 0xF00u) << 4);
        if ((attrib & Present) == 0) ar |= SegmentRegister.Unusable;
        return ar;
    }
}
