using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;
using C = JitVirt.Svm.VmcbControlArea;
using S = JitVirt.Svm.VmcbSaveStateArea;

namespace JitVirt.Svm;

/// <summary>
/// The virtual machine control block: one 4 KiB page, control area at 0x000 and state-save area at
/// 0x400 (AMD APM vol.2 §15.5, Appendix B). The page is the only copy of the guest state the front
/// end keeps while the guest is outside the processor; the typed properties read and write its
/// bytes at the architectural offsets. The page lives in the host's (the front end's) memory, as
/// KVM's VMCB did, not in guest-physical memory.
/// </summary>
public sealed unsafe class Vmcb
{
    public const int Size = 4096;

    readonly byte[] _page = GC.AllocateArray<byte>(Size, pinned: true);
    readonly byte* _p;

    public Vmcb() { _p = (byte*)Unsafe.AsPointer(ref _page[0]); }

    /// <summary>The raw page (tests read fields at their APM offsets through it). Complete: a deferred save is done first.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (_coldStale) SyncCold();
            return _page;
        }
    }

    public void Clear() => Array.Clear(_page);

    // ------------------------------------------------------------------ deferred save of the cold state
    //
    // A #VMEXIT that is handled in place stores RAX, RSP, RIP and RFLAGS (what every handler uses)
    // at once and defers the rest of the state-save area ("cold": segments, descriptor tables, CRs,
    // DRs, EFER, the system MSRs): until someone touches it, it is still exactly what the processor
    // holds. The first read or write of any cold field stores the whole cold part first, so the
    // VMCB is complete and authoritative whenever anyone looks; a write also marks the cold part
    // dirty so VMRUN reloads it (the idea of the VMCB clean bits, APM vol.2 §15.15, run the other
    // way). Fields of the control area are never deferred.

    Action<Vmcb>? _coldSource;
    bool _coldStale;

    /// <summary>True when a cold save-area field was written since the last VMRUN: VMRUN must load the whole area.</summary>
    public bool ColdDirty { get; internal set; }

    /// <summary>Defers the cold save: <paramref name="source"/> stores it when it is first needed.</summary>
    internal void DeferColdSave(Action<Vmcb> source)
    {
        _coldSource = source;
        _coldStale = true;
    }

    /// <summary>Drops a deferred save (VMRUN: the processor still holds that state).</summary>
    internal void CancelDeferredSave() => _coldStale = false;

    internal bool ColdSavePending => _coldStale;

    /// <summary>Does a deferred save now.</summary>
    internal void CompleteDeferredSave()
    {
        if (_coldStale) SyncCold();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool IsCold(int offset)
        => (uint)(offset - VmcbControlArea.Size) < VmcbControlArea.Size
           && offset is not (S.Rax or S.Rsp or S.Rip or S.Rflags);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void OnRead(int offset)
    {
        if (_coldStale && IsCold(offset)) SyncCold();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void OnWrite(int offset)
    {
        if (IsCold(offset)) ColdWritten();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ColdWritten()
    {
        if (_coldStale) SyncCold();
        ColdDirty = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void SyncCold()
    {
        _coldStale = false;
        bool dirty = ColdDirty;
        _coldSource?.Invoke(this);
        ColdDirty = dirty; // storing the processor's own state is not a change
    }

    // ------------------------------------------------------------------ raw access by offset

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public byte Read8(int offset) { OnRead(offset); return _p[offset]; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public ushort Read16(int offset) { OnRead(offset); return *(ushort*)(_p + offset); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public uint Read32(int offset) { OnRead(offset); return *(uint*)(_p + offset); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public ulong Read64(int offset) { OnRead(offset); return *(ulong*)(_p + offset); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Write8(int offset, byte v) { OnWrite(offset); _p[offset] = v; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Write16(int offset, ushort v) { OnWrite(offset); *(ushort*)(_p + offset) = v; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Write32(int offset, uint v) { OnWrite(offset); *(uint*)(_p + offset) = v; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Write64(int offset, ulong v) { OnWrite(offset); *(ulong*)(_p + offset) = v; }

    // Fields that are never deferred (the whole control area, and RAX/RSP/RIP/RFLAGS of the save
    // area) are read and written without the deferred-save test: the exit path touches them on every
    // exit, and the test is what those accesses would otherwise spend their time on.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal byte Hot8(int offset) => _p[offset];
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal ushort Hot16(int offset) => *(ushort*)(_p + offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal uint Hot32(int offset) => *(uint*)(_p + offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal ulong Hot64(int offset) => *(ulong*)(_p + offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal void Hot8(int offset, byte v) => _p[offset] = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal void Hot16(int offset, ushort v) => *(ushort*)(_p + offset) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal void Hot32(int offset, uint v) => *(uint*)(_p + offset) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal void Hot64(int offset, ulong v) => *(ulong*)(_p + offset) = v;

    // ------------------------------------------------------------------ control area

    public ushort InterceptCrRead { get => Hot16(C.InterceptCrRead); set => Hot16(C.InterceptCrRead, value); }
    public ushort InterceptCrWrite { get => Hot16(C.InterceptCrWrite); set => Hot16(C.InterceptCrWrite, value); }
    public ushort InterceptDrRead { get => Hot16(C.InterceptDrRead); set => Hot16(C.InterceptDrRead, value); }
    public ushort InterceptDrWrite { get => Hot16(C.InterceptDrWrite); set => Hot16(C.InterceptDrWrite, value); }
    public uint InterceptExceptions { get => Hot32(C.InterceptExceptions); set => Hot32(C.InterceptExceptions, value); }
    public InterceptWord1 InterceptWord1 { get => (InterceptWord1)Hot32(C.InterceptWord1); set => Hot32(C.InterceptWord1, (uint)value); }
    public InterceptWord2 InterceptWord2 { get => (InterceptWord2)Hot32(C.InterceptWord2); set => Hot32(C.InterceptWord2, (uint)value); }
    public ulong IopmBasePa { get => Hot64(C.IopmBasePa); set => Hot64(C.IopmBasePa, value); }
    public ulong MsrpmBasePa { get => Hot64(C.MsrpmBasePa); set => Hot64(C.MsrpmBasePa, value); }
    public ulong TscOffset { get => Hot64(C.TscOffset); set => Hot64(C.TscOffset, value); }
    public uint GuestAsid { get => Hot32(C.GuestAsid); set => Hot32(C.GuestAsid, value); }
    public byte TlbControl { get => Hot8(C.TlbControl); set => Hot8(C.TlbControl, value); }
    public uint IntCtl { get => Hot32(C.IntCtl); set => Hot32(C.IntCtl, value); }
    public uint IntVector { get => Hot32(C.IntVector); set => Hot32(C.IntVector, value); }
    public uint IntState { get => Hot32(C.IntState); set => Hot32(C.IntState, value); }
    public ulong ExitCode { get => Hot64(C.ExitCode); set => Hot64(C.ExitCode, value); }
    public ulong ExitInfo1 { get => Hot64(C.ExitInfo1); set => Hot64(C.ExitInfo1, value); }
    public ulong ExitInfo2 { get => Hot64(C.ExitInfo2); set => Hot64(C.ExitInfo2, value); }
    public EventInjection ExitIntInfo { get => new(Hot32(C.ExitIntInfo)); set => Hot32(C.ExitIntInfo, value.Value); }
    public uint ExitIntInfoErrorCode { get => Hot32(C.ExitIntInfoErrorCode); set => Hot32(C.ExitIntInfoErrorCode, value); }
    public EventInjection EventInj { get => new(Hot32(C.EventInj)); set => Hot32(C.EventInj, value.Value); }
    public uint EventInjErrorCode { get => Hot32(C.EventInjErrorCode); set => Hot32(C.EventInjErrorCode, value); }

    /// <summary>V_IRQ (int_ctl bit 8): a virtual interrupt is pending.</summary>
    public bool VIrq
    {
        get => (IntCtl & C.VIrq) != 0;
        set => IntCtl = value ? IntCtl | C.VIrq : IntCtl & ~C.VIrq;
    }

    public bool IsIntercepted(InterceptWord1 bit) => (Hot32(C.InterceptWord1) & (uint)bit) != 0;
    public bool IsIntercepted(InterceptWord2 bit) => (Hot32(C.InterceptWord2) & (uint)bit) != 0;

    // ------------------------------------------------------------------ state-save area

    public byte Cpl { get => Read8(S.Cpl); set => Write8(S.Cpl, value); }
    public ulong Efer { get => Read64(S.Efer); set => Write64(S.Efer, value); }
    public ulong Cr0 { get => Read64(S.Cr0); set => Write64(S.Cr0, value); }
    public ulong Cr2 { get => Read64(S.Cr2); set => Write64(S.Cr2, value); }
    public ulong Cr3 { get => Read64(S.Cr3); set => Write64(S.Cr3, value); }
    public ulong Cr4 { get => Read64(S.Cr4); set => Write64(S.Cr4, value); }
    public ulong Dr6 { get => Read64(S.Dr6); set => Write64(S.Dr6, value); }
    public ulong Dr7 { get => Read64(S.Dr7); set => Write64(S.Dr7, value); }
    public ulong Rflags { get => Hot64(S.Rflags); set => Hot64(S.Rflags, value); }
    public ulong Rip { get => Hot64(S.Rip); set => Hot64(S.Rip, value); }
    public ulong Rsp { get => Hot64(S.Rsp); set => Hot64(S.Rsp, value); }
    public ulong Rax { get => Hot64(S.Rax); set => Hot64(S.Rax, value); }
    public ulong Star { get => Read64(S.Star); set => Write64(S.Star, value); }
    public ulong Lstar { get => Read64(S.Lstar); set => Write64(S.Lstar, value); }
    public ulong Cstar { get => Read64(S.Cstar); set => Write64(S.Cstar, value); }
    public ulong Sfmask { get => Read64(S.Sfmask); set => Write64(S.Sfmask, value); }
    public ulong KernelGsBase { get => Read64(S.KernelGsBase); set => Write64(S.KernelGsBase, value); }
    public ulong SysenterCs { get => Read64(S.SysenterCs); set => Write64(S.SysenterCs, value); }
    public ulong SysenterEsp { get => Read64(S.SysenterEsp); set => Write64(S.SysenterEsp, value); }
    public ulong SysenterEip { get => Read64(S.SysenterEip); set => Write64(S.SysenterEip, value); }
    public ulong GPat { get => Read64(S.GPat); set => Write64(S.GPat, value); }

    /// <summary>Reads the segment record at <paramref name="offset"/> (one of the <see cref="VmcbSaveStateArea"/> segment offsets).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SegmentRegister ReadSegment(int offset) => new()
    {
        Selector = Read16(offset + S.SegmentSelector),
        AccessRights = SegmentAttributes.ToAccessRights(Read16(offset + S.SegmentAttributes)),
        Limit = Read32(offset + S.SegmentLimit),
        Base = Read64(offset + S.SegmentBase),
    };

    /// <summary>Writes the segment record at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteSegment(int offset, in SegmentRegister s)
    {
        Write16(offset + S.SegmentSelector, s.Selector);
        Write16(offset + S.SegmentAttributes, SegmentAttributes.FromAccessRights(s.AccessRights));
        Write32(offset + S.SegmentLimit, s.Limit);
        Write64(offset + S.SegmentBase, s.Base);
    }

    /// <summary>GDTR/IDTR: only the limit (+4) and base (+8) of the record are used (APM vol.2 Table B-2).</summary>
    public DescriptorTableRegister ReadTable(int offset) => new() { Limit = Read32(offset + S.SegmentLimit), Base = Read64(offset + S.SegmentBase) };

    public void WriteTable(int offset, in DescriptorTableRegister t)
    {
        Write32(offset + S.SegmentLimit, t.Limit);
        Write64(offset + S.SegmentBase, t.Base);
    }
}
