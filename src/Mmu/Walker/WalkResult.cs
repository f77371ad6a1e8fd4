namespace JitVirt.Mmu.Walker;

/// <summary>Outcome of one page walk: a physical address, or the #PF error code to raise.</summary>
public readonly struct WalkResult
{
    /// <summary>True when the access is allowed and <see cref="PhysicalAddress"/> is valid.</summary>
    public bool Succeeded { get; }

    public ulong PhysicalAddress { get; }

    /// <summary>The #PF error code when <see cref="Succeeded"/> is false (0 is a valid error code: supervisor read of a non-present page).</summary>
    public PageFaultErrorCode ErrorCode { get; }

    /// <summary>The entries read and the page found (also for faults: the shadow MMU needs them).</summary>
    public WalkPath Path { get; }

    WalkResult(bool succeeded, ulong physicalAddress, PageFaultErrorCode errorCode, in WalkPath path)
    {
        Succeeded = succeeded;
        PhysicalAddress = physicalAddress;
        ErrorCode = errorCode;
        Path = path;
    }

    public static WalkResult Success(ulong physicalAddress, in WalkPath path) => new(true, physicalAddress, PageFaultErrorCode.None, in path);

    public static WalkResult Fault(PageFaultErrorCode errorCode, in WalkPath path) => new(false, 0, errorCode, in path);

    /// <summary>CR0.PG = 0: the linear address is the physical address, every access allowed.</summary>
    public static WalkResult Unpaged(ulong physicalAddress)
    {
        var path = new WalkPath { Rights = PageRights.All, PageBase = physicalAddress & ~0xFFFul, PageSize = 1ul << 12 };
        return new(true, physicalAddress, PageFaultErrorCode.None, in path);
    }

    public PageRights Rights => Path.Rights;
    public ulong PageSize => Path.PageSize;
}
