using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>What the processor calls at a VM exit: the VMM's entry point (HOST_RIP, 2.6.20's <c>kvm_vmx_return</c>).</summary>
public interface IVmxHost
{
    void OnVmExit();
}

/// <summary>
/// JitVirt's model of VT-x: the processor side of VMX for one logical processor whose guest state
/// is the <see cref="JitVirt.Cpu.Cpu"/>. It owns VMX operation, the current-VMCS pointer, the VMCS
/// regions' contents (by slot, <see cref="Vmcs"/>), VM entry with its checks, VM exit with its
/// information fields, and the intercept decisions the executor asks for. The VMM reaches it only
/// through the instruction methods (<c>VmxInstructions.cs</c>, <c>VmTransitions.cs</c>).
/// Departures from the SDM: VMX root operation has no host register state of its own (the host is
/// .NET), so host-state fields are checked but never loaded; guest GPRs (other than RSP), CR2 and
/// DR0–DR6 stay in the Cpu, which is what KVM's entry stub achieved by loading them itself.
/// </summary>
public sealed partial class VmxHardware
{
    readonly JitVirt.Cpu.Cpu _cpu;
    IVmxHost? _host;

    public HostMemory Memory { get; }

    public VmxHardware(JitVirt.Cpu.Cpu cpu, HostMemory memory)
    {
        _cpu = cpu;
        Memory = memory;
    }

    /// <summary>Where VM exits go (set by the VMM before its first VM entry).</summary>
    public void SetHost(IVmxHost host) => _host = host;

    /// <summary>True between a successful VM entry and the next VM exit.</summary>
    public bool InGuest { get; private set; }

    // ------------------------------------------------------------------ field slots

    static int Slot(uint encoding) => Vmcs.SlotOf(encoding);

    static readonly int SlotInstructionError = Slot(VmcsField.VmInstructionError);
    static readonly int SlotExitReason = Slot(VmcsField.ExitReason), SlotQualification = Slot(VmcsField.ExitQualification);
    static readonly int SlotExitInstructionLength = Slot(VmcsField.VmExitInstructionLength), SlotExitInstructionInfo = Slot(VmcsField.VmExitInstructionInfo);
    static readonly int SlotExitIntInfo = Slot(VmcsField.VmExitInterruptionInfo), SlotExitIntError = Slot(VmcsField.VmExitInterruptionErrorCode);
    static readonly int SlotIdtInfo = Slot(VmcsField.IdtVectoringInfo), SlotIdtError = Slot(VmcsField.IdtVectoringErrorCode);
    static readonly int SlotLinear = Slot(VmcsField.GuestLinearAddress);
    static readonly int SlotEntryIntInfo = Slot(VmcsField.VmEntryInterruptionInfo), SlotEntryError = Slot(VmcsField.VmEntryExceptionErrorCode);
    static readonly int SlotEntryLength = Slot(VmcsField.VmEntryInstructionLength);
    static readonly int SlotPin = Slot(VmcsField.PinBasedControls), SlotProc = Slot(VmcsField.ProcessorBasedControls);
    static readonly int SlotProc2 = Slot(VmcsField.SecondaryProcessorBasedControls), SlotExitCtl = Slot(VmcsField.VmExitControls);
    static readonly int SlotEntryCtl = Slot(VmcsField.VmEntryControls), SlotExceptionBitmap = Slot(VmcsField.ExceptionBitmap);
    static readonly int SlotPfMask = Slot(VmcsField.PageFaultErrorCodeMask), SlotPfMatch = Slot(VmcsField.PageFaultErrorCodeMatch);
    static readonly int SlotCr3Count = Slot(VmcsField.Cr3TargetCount), SlotCr3Target0 = Slot(VmcsField.Cr3TargetValue0);
    static readonly int SlotCr0Mask = Slot(VmcsField.Cr0GuestHostMask), SlotCr4Mask = Slot(VmcsField.Cr4GuestHostMask);
    static readonly int SlotCr0Shadow = Slot(VmcsField.Cr0ReadShadow), SlotCr4Shadow = Slot(VmcsField.Cr4ReadShadow);
    static readonly int SlotIoA = Slot(VmcsField.IoBitmapA), SlotIoB = Slot(VmcsField.IoBitmapB), SlotMsrBitmap = Slot(VmcsField.MsrBitmap);
    static readonly int SlotTscOffset = Slot(VmcsField.TscOffset), SlotVpid = Slot(VmcsField.VirtualProcessorId);
    static readonly int SlotLink = Slot(VmcsField.VmcsLinkPointer);
    static readonly int SlotExitMsrStore = Slot(VmcsField.VmExitMsrStoreCount), SlotExitMsrLoad = Slot(VmcsField.VmExitMsrLoadCount);
    static readonly int SlotEntryMsrLoad = Slot(VmcsField.VmEntryMsrLoadCount);
    static readonly int SlotHostCr0 = Slot(VmcsField.HostCr0), SlotHostCr4 = Slot(VmcsField.HostCr4), SlotHostRip = Slot(VmcsField.HostRip);

    static readonly int SlotRip = Slot(VmcsField.GuestRip), SlotRsp = Slot(VmcsField.GuestRsp), SlotRflags = Slot(VmcsField.GuestRflags);
    static readonly int SlotInterruptibility = Slot(VmcsField.GuestInterruptibilityState), SlotActivity = Slot(VmcsField.GuestActivityState);
    static readonly int SlotPendingDebug = Slot(VmcsField.GuestPendingDebugExceptions);
    static readonly int SlotCr0 = Slot(VmcsField.GuestCr0), SlotCr3 = Slot(VmcsField.GuestCr3), SlotCr4 = Slot(VmcsField.GuestCr4);
    static readonly int SlotDr7 = Slot(VmcsField.GuestDr7), SlotDebugctl = Slot(VmcsField.GuestIa32Debugctl);
    static readonly int SlotGdtrBase = Slot(VmcsField.GuestGdtrBase), SlotGdtrLimit = Slot(VmcsField.GuestGdtrLimit);
    static readonly int SlotIdtrBase = Slot(VmcsField.GuestIdtrBase), SlotIdtrLimit = Slot(VmcsField.GuestIdtrLimit);
    static readonly int SlotSysenterCs = Slot(VmcsField.GuestSysenterCs), SlotSysenterEsp = Slot(VmcsField.GuestSysenterEsp);
    static readonly int SlotSysenterEip = Slot(VmcsField.GuestSysenterEip);
    static readonly int[] SlotSelector = Segments(VmcsField.Selector), SlotBase = Segments(VmcsField.Base);
    static readonly int[] SlotLimit = Segments(VmcsField.Limit), SlotAr = Segments(VmcsField.AccessRights);

    static int[] Segments(Func<int, uint> encoding) => Enumerable.Range(0, 8).Select(s => Slot(encoding(s))).ToArray();

    /// <summary>Guest-state slots the entry always loads (they change at nearly every exit); a write to any other guest field makes the next entry load everything.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool IsCheapGuestSlot(int slot) => slot == SlotRip || slot == SlotRsp || slot == SlotRflags || slot == SlotInterruptibility || slot == SlotActivity;

    // ------------------------------------------------------------------ write tracking

    bool _guestDirty = true, _controlsDirty = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void NoteWrite(int slot, VmcsFieldType type)
    {
        if (type == VmcsFieldType.Control) _controlsDirty = true;
        else if (type == VmcsFieldType.GuestState && !IsCheapGuestSlot(slot)) _guestDirty = true;
    }

    void MarkAllDirty() { _guestDirty = true; _controlsDirty = true; }

    /// <summary>A raw slot read for the processor's own use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ulong F(int slot) => _vmcs![slot];
}
