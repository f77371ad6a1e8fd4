namespace JitVirt.Svm;

/// <summary>
/// The ASID pool of one physical processor, as Linux 2.6.20's <c>svm_cpu_data</c> kept it
/// (fact sheet A12, <c>pre_svm_run</c>/<c>new_asid</c>): ASIDs 1 … NASID−1 are handed out in
/// order; when they run out, the generation advances, numbering restarts at 1 and that VMRUN must
/// flush the TLB entries of every ASID (TLB_CONTROL = 1, AMD APM vol.2 §15.16.1), because old
/// generations' ASIDs are reused. A vCPU whose generation differs from the pool's takes a new ASID
/// at its next VMRUN; <c>force_new_asid</c> is just a way to make the generations differ.
/// </summary>
public sealed class AsidAllocator
{
    /// <summary>NASID: the number of ASIDs (CPUID 0x8000000A EBX). ASID 0 is the host's.</summary>
    public uint AsidCount { get; }

    public uint MaxAsid => AsidCount - 1;

    /// <summary>The pool's generation (starts at 1, as hardware_enable set it).</summary>
    public ulong Generation { get; private set; } = 1;

    uint _next;

    public AsidAllocator(uint asidCount)
    {
        if (asidCount < 2) throw new ArgumentOutOfRangeException(nameof(asidCount), "at least one guest ASID is needed");
        AsidCount = asidCount;
        _next = MaxAsid + 1; // forces a wrap, and with it a full flush, on first use (as 2.6.20 did)
    }

    /// <summary>new_asid: the next ASID; <paramref name="flushAll"/> when the pool wrapped into a new generation.</summary>
    public uint Allocate(out bool flushAll)
    {
        flushAll = false;
        if (_next > MaxAsid)
        {
            Generation++;
            _next = 1;
            flushAll = true;
        }
        return _next++;
    }
}
