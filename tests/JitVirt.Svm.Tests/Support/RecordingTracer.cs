using JitVirt.Virtualization;

namespace JitVirt.Svm.Tests.Support;

/// <summary>An <see cref="IExitTracer"/> that keeps every tracepoint as a record, in order (linked into the VMX tests too).</summary>
public sealed class RecordingTracer : IExitTracer
{
    public abstract record Event;
    public sealed record ExitEvent(uint Reason, string Name, ulong Rip, ulong Info1, ulong Info2, uint IntrInfo, uint ErrorCode) : Event;
    public sealed record EntryEvent(ulong Rip) : Event;
    public sealed record PioEvent(bool Write, ushort Port, int Size, int Count, uint Value) : Event;
    public sealed record MsrEvent(bool Write, uint Index, ulong Data, bool Exception) : Event;
    public sealed record CpuidEvent(uint Function, uint Index, ulong Rax, ulong Rbx, ulong Rcx, ulong Rdx, bool Found) : Event;
    public sealed record CrEvent(bool Write, int Cr, ulong Value) : Event;
    public sealed record PageFaultEvent(ulong Address, uint ErrorCode) : Event;
    public sealed record InjectExceptionEvent(byte Vector, bool HasErrorCode, uint ErrorCode) : Event;

    public List<Event> Events { get; } = [];

    public IEnumerable<T> Of<T>() where T : Event => Events.OfType<T>();

    public void Exit(uint exitReason, string reasonName, ulong rip, ulong info1, ulong info2, uint intrInfo, uint errorCode)
        => Events.Add(new ExitEvent(exitReason, reasonName, rip, info1, info2, intrInfo, errorCode));
    public void Entry(ulong rip) => Events.Add(new EntryEvent(rip));
    public void Pio(bool write, ushort port, int size, int count, uint value) => Events.Add(new PioEvent(write, port, size, count, value));
    public void Msr(bool write, uint index, ulong data, bool exception) => Events.Add(new MsrEvent(write, index, data, exception));
    public void Cpuid(uint function, uint index, ulong rax, ulong rbx, ulong rcx, ulong rdx, bool found)
        => Events.Add(new CpuidEvent(function, index, rax, rbx, rcx, rdx, found));
    public void Cr(bool write, int cr, ulong value) => Events.Add(new CrEvent(write, cr, value));
    public void PageFault(ulong address, uint errorCode) => Events.Add(new PageFaultEvent(address, errorCode));
    public void InjectException(byte vector, bool hasErrorCode, uint errorCode) => Events.Add(new InjectExceptionEvent(vector, hasErrorCode, errorCode));
}
