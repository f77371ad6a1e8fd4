using System.Diagnostics;
using System.Globalization;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Trace;

/// <summary>
/// Writes the enabled KVM tracepoints as ftrace prints them (<c>trace_pipe</c>): the task, the CPU,
/// a timestamp in seconds, the event name, then the event's TP_printk text from Linux's
/// arch/x86/kvm/trace.h, so that the output can be compared line by line with a real KVM trace.
/// Departures: the task is <c>jitvirt</c> with the process id, the CPU column is always 000, the
/// irq-flags column is left out, and the timestamp is the machine's clock (virtual under --deterministic).
/// </summary>
public sealed class KvmTraceLog(TextWriter output, KvmTraceEvents enabled) : IExitTracer
{
    private const int VcpuId = 0;
    private static readonly string Task = $"jitvirt-{Environment.ProcessId}";
    private readonly Stopwatch _sinceStart = Stopwatch.StartNew();

    public KvmTraceEvents Enabled { get; } = enabled;

    /// <summary>Nanoseconds for the timestamp column; host time since the log was created until the machine sets its clock.</summary>
    public Func<long>? ClockNanoseconds { get; set; }

    public long LinesWritten { get; private set; }

    public void Exit(uint exitReason, string reasonName, ulong rip, ulong info1, ulong info2, uint intrInfo, uint errorCode)
    {
        if (!IsOn(KvmTraceEvents.Exit)) return;
        Line("kvm_exit", $"vcpu {VcpuId} reason {reasonName} rip 0x{rip:x} info1 0x{info1:x16} info2 0x{info2:x16} intr_info 0x{intrInfo:x8} error_code 0x{errorCode:x8}");
    }

    public void Entry(ulong rip)
    {
        if (IsOn(KvmTraceEvents.Entry)) Line("kvm_entry", $"vcpu {VcpuId}, rip 0x{rip:x}");
    }

    public void Pio(bool write, ushort port, int size, int count, uint value)
    {
        // TP_printk("pio_%s at 0x%x size %d count %d val 0x%x %s"): the last %s is "(...)" for string I/O, else empty.
        if (IsOn(KvmTraceEvents.Pio))
            Line("kvm_pio", $"pio_{(write ? "write" : "read")} at 0x{port:x} size {size} count {count} val 0x{value:x} {(count > 1 ? "(...)" : "")}");
    }

    public void Msr(bool write, uint index, ulong data, bool exception)
    {
        if (IsOn(KvmTraceEvents.Msr))
            Line("kvm_msr", $"msr_{(write ? "write" : "read")} {index:x} = 0x{data:x}{(exception ? " (#GP)" : "")}");
    }

    public void Cpuid(uint function, uint index, ulong rax, ulong rbx, ulong rcx, ulong rdx, bool found)
    {
        if (IsOn(KvmTraceEvents.Cpuid))
            Line("kvm_cpuid", $"func {function:x} idx {index:x} rax {rax:x} rbx {rbx:x} rcx {rcx:x} rdx {rdx:x}, cpuid entry {(found ? "found" : "not found")}");
    }

    public void Cr(bool write, int cr, ulong value)
    {
        if (IsOn(KvmTraceEvents.Cr)) Line("kvm_cr", $"cr_{(write ? "write" : "read")} {cr:x} = 0x{value:x}");
    }

    public void PageFault(ulong address, uint errorCode)
    {
        if (IsOn(KvmTraceEvents.PageFault)) Line("kvm_page_fault", $"address {address:x} error_code {errorCode:x}");
    }

    public void InjectException(byte vector, bool hasErrorCode, uint errorCode)
    {
        // TP_printk("%s (0x%x)", __print_symbolic(exception, kvm_trace_sym_exc), has_error ? error_code : 0)
        if (IsOn(KvmTraceEvents.InjectException))
            Line("kvm_inj_exception", $"{ExceptionName(vector)} (0x{(hasErrorCode ? errorCode : 0):x})");
    }

    /// <summary>kvm_trace_sym_exc: the exceptions KVM names; others print as __print_symbolic does, in hex.</summary>
    public static string ExceptionName(byte vector) => vector switch
    {
        0 => "#DE", 1 => "#DB", 3 => "#BP", 4 => "#OF", 5 => "#BR", 6 => "#UD", 7 => "#NM", 8 => "#DF",
        10 => "#TS", 11 => "#NP", 12 => "#SS", 13 => "#GP", 14 => "#PF", 16 => "#MF", 17 => "#AC", 18 => "#MC",
        _ => $"0x{vector:x}",
    };

    private bool IsOn(KvmTraceEvents e) => (Enabled & e) != 0;

    private void Line(string eventName, string body)
    {
        long ns = ClockNanoseconds?.Invoke() ?? (long)(_sinceStart.ElapsedTicks * (1e9 / Stopwatch.Frequency));
        string seconds = (ns / 1e9).ToString("F6", CultureInfo.InvariantCulture);
        output.Write($"{Task,22} [000] {seconds,12}: {eventName}: {body}\n");
        LinesWritten++;
    }
}
