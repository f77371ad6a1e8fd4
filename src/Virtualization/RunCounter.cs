namespace JitVirt.Virtualization;

/// <summary>
/// One named figure of a run beside the exit table (kvm_stat's non-exit counters): shadow-MMU faults,
/// TLB-tag flushes, regions compiled and the like. <paramref name="Key"/> is the stable JSON name
/// (camelCase), <paramref name="Label"/> the text printed by <c>--stats</c>, <paramref name="Unit"/> empty
/// for plain counts or a unit such as <c>ns</c> or <c>bytes</c>.
/// </summary>
public readonly record struct RunCounter(string Key, string Label, long Value, string Unit = "");
