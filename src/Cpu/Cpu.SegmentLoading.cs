using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Loading a data or stack segment register (MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS).
/// This body is a stand-in: real and virtual-8086 mode are complete (SDM vol.3 §20.1.1), the
/// protected-mode path below does only the minimum (descriptor read, null selector, presence,
/// type) so data-flow instructions can run in protected-mode tests.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>
    /// Loads segment register <paramref name="seg"/> (never CS) with <paramref name="selector"/>,
    /// applying the checks of the current mode. Returns false with a fault recorded when the load
    /// is refused; nothing is changed then.
    /// </summary>
    public bool LoadSegmentRegister(int seg, ushort selector)
    {
        if (Mode is OperatingMode.Real or OperatingMode.Virtual8086)
        {
            LoadRealModeSegment(seg, selector);
            return true;
        }
        // protected-mode checks: owned by the segments family (this is a minimal fallback).
        uint errorCode = (uint)selector & 0xFFFC;
        if ((selector & 0xFFFC) == 0)
        {
            bool nullSsAllowed = Is64BitMode && Cpl < 3 && (selector & 3) == Cpl;
            if (seg == SegmentIndex.Ss && !nullSsAllowed) { RaiseGeneralProtection(0); return false; }
            Segments[seg] = new SegmentRegister { Selector = selector, AccessRights = SegmentRegister.Unusable };
            if (seg == SegmentIndex.Ss) UpdateMode();
            return true;
        }
        if (!TryReadDescriptor(selector, out var d, out ulong address))
        {
            if (!Faulted) RaiseGeneralProtection(errorCode);
            return false;
        }
        bool typeOk = seg == SegmentIndex.Ss
            ? d.IsWritable && (selector & 3) == Cpl && d.Dpl == Cpl
            : d.IsData || (d.IsCode && d.IsReadable);
        if (!typeOk) { RaiseGeneralProtection(errorCode); return false; }
        if (!d.IsPresent)
        {
            RaiseFault(seg == SegmentIndex.Ss ? ExceptionVector.StackFault : ExceptionVector.SegmentNotPresent, errorCode);
            return false;
        }
        SetDescriptorAccessed(address, d);
        if (Faulted) return false;
        var loaded = d.ToSegmentRegister(selector);
        loaded.AccessRights |= SegmentRegister.TypeAccessed;
        Segments[seg] = loaded;
        if (seg == SegmentIndex.Ss) UpdateMode();
        return true;
    }
}
