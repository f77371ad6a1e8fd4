using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>QEMU's <c>-serial</c> back ends that JitVirt has: stdio, file:PATH, none (also null).</summary>
public static class SerialSpec
{
    public static OutputTarget Parse(string spec, Stream stdout) => spec switch
    {
        "stdio" or "mon:stdio" => OutputTarget.ToStream(stdout, flushEachLine: true),
        "none" or "null" => OutputTarget.None,
        _ when spec.StartsWith("file:", StringComparison.Ordinal) && spec.Length > 5 => OutputTarget.File(spec[5..]),
        _ => throw new UsageException($"unsupported -serial '{spec}' (use stdio, file:PATH or none)"),
    };
}
