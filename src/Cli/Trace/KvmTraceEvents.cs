namespace JitVirt.Cli.Trace;

/// <summary>The KVM tracepoints <c>--trace</c> can enable (names as in Linux's arch/x86/kvm/trace.h).</summary>
[Flags]
public enum KvmTraceEvents
{
    None = 0,
    Exit = 1 << 0,
    Entry = 1 << 1,
    Pio = 1 << 2,
    Msr = 1 << 3,
    Cpuid = 1 << 4,
    Cr = 1 << 5,
    PageFault = 1 << 6,
    InjectException = 1 << 7,
    All = Exit | Entry | Pio | Msr | Cpuid | Cr | PageFault | InjectException,
}

/// <summary>Parses <c>--trace EVENTS</c>: a comma-separated list of tracepoint names, <c>kvm_*</c> or <c>all</c>.</summary>
public static class KvmTraceEventList
{
    private static readonly (string Name, KvmTraceEvents Event)[] Names =
    [
        ("kvm_exit", KvmTraceEvents.Exit),
        ("kvm_entry", KvmTraceEvents.Entry),
        ("kvm_pio", KvmTraceEvents.Pio),
        ("kvm_msr", KvmTraceEvents.Msr),
        ("kvm_cpuid", KvmTraceEvents.Cpuid),
        ("kvm_cr", KvmTraceEvents.Cr),
        ("kvm_page_fault", KvmTraceEvents.PageFault),
        ("kvm_inj_exception", KvmTraceEvents.InjectException),
    ];

    public static string Known => string.Join(", ", Names.Select(n => n.Name));

    public static KvmTraceEvents Parse(string text)
    {
        var events = KvmTraceEvents.None;
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // "kvm:kvm_exit" is how perf and trace-cmd spell it.
            string name = raw.StartsWith("kvm:", StringComparison.Ordinal) ? raw[4..] : raw;
            if (name is "all" or "kvm_*" or "*") { events |= KvmTraceEvents.All; continue; }
            var match = Array.Find(Names, n => n.Name == name);
            if (match.Name is null) throw new UsageException($"--trace: unknown event '{raw}' (known: {Known}, kvm_*)");
            events |= match.Event;
        }
        if (events == KvmTraceEvents.None) throw new UsageException("--trace needs at least one event (e.g. kvm_exit,kvm_pio)");
        return events;
    }
}
