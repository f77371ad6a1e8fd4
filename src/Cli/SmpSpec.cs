using System.Globalization;

namespace JitVirt.Cli;

/// <summary>
/// QEMU's <c>-smp [cpus=]N[,maxcpus=M][,sockets=S][,dies=D][,clusters=C][,cores=C][,threads=T]</c>. JitVirt
/// emulates one vCPU: a topology of one processor is accepted, anything larger is a usage error. When
/// the count is left out QEMU derives it from the topology (the product of its parts), and so does this.
/// </summary>
public static class SmpSpec
{
    public const int SupportedCpus = 1;

    private static readonly string[] TopologyParts = ["sockets", "dies", "clusters", "books", "drawers", "cores", "threads"];

    /// <summary>The number of vCPUs <paramref name="spec"/> asks for; throws a usage error unless it is one.</summary>
    public static int Parse(string spec)
    {
        var parts = new Dictionary<string, long>(StringComparer.Ordinal);
        string[] items = spec.Split(',', StringSplitOptions.TrimEntries);
        for (int i = 0; i < items.Length; i++)
        {
            string item = items[i];
            int eq = item.IndexOf('=');
            // The first item may be the bare count ("-smp 2"), as QEMU's implied "cpus" key.
            (string key, string value) = eq < 0 && i == 0 ? ("cpus", item) : eq > 0 ? (item[..eq], item[(eq + 1)..]) : ("", item);
            if (key != "cpus" && key != "maxcpus" && Array.IndexOf(TopologyParts, key) < 0)
                throw new UsageException($"-smp {spec}: unknown part '{item}'");
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < 1 || n > 4096)
                throw new UsageException($"-smp {spec}: invalid number '{value}'");
            parts[key] = n;
        }
        long topology = 1;
        foreach (string part in TopologyParts) topology *= parts.GetValueOrDefault(part, 1);
        long cpus = parts.GetValueOrDefault("cpus", topology);
        long max = Math.Max(parts.GetValueOrDefault("maxcpus", cpus), Math.Max(cpus, topology));
        if (max > SupportedCpus)
            throw new UsageException($"-smp {spec}: JitVirt emulates {SupportedCpus} vCPU, {max} asked for");
        return (int)cpus;
    }
}
