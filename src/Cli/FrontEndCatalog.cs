using JitVirt.Cpu.Execution;
using JitVirt.Virtualization;

namespace JitVirt.Cli;

/// <summary>Builds a hardware-virtualization front end over a processor and the executor that runs its guest code.</summary>
public delegate IFrontEnd FrontEndFactory(JitVirt.Cpu.Cpu cpu, IExecutor executor);

/// <summary>
/// The front ends <c>--vm</c> can select, by name. A name whose factory is null is known but not built
/// in: the guest then runs on the plain interpreter vCPU (and <c>--stats</c> has no exits to show).
/// Tests build their own catalog with fake front ends.
/// </summary>
public sealed class FrontEndCatalog
{
    private readonly Dictionary<string, FrontEndFactory?> _factories = new(StringComparer.Ordinal);

    /// <summary>What <c>--vm</c> is when not given.</summary>
    public const string DefaultFrontEnd = "svm";

    /// <summary><c>--vm none</c>: no front end, the guest runs on the bare interpreter vCPU (no exits to count or trace).</summary>
    public const string NoFrontEnd = "none";

    /// <summary>The front ends of this build.</summary>
    public static FrontEndCatalog Builtin { get; } = new FrontEndCatalog()
        .With("svm", (cpu, executor) => new JitVirt.Svm.SvmFrontEnd(cpu, executor))
        .With("vmx", (cpu, executor) => new JitVirt.Vmx.VmxFrontEnd(cpu, executor));

    public FrontEndCatalog With(string name, FrontEndFactory? factory)
    {
        _factories[name] = factory;
        return this;
    }

    public IReadOnlyCollection<string> Names => _factories.Keys;

    /// <summary>The factory for <paramref name="name"/> (null for <see cref="NoFrontEnd"/>, or when known but not built in); an unknown name is a usage error.</summary>
    public FrontEndFactory? Resolve(string name)
    {
        if (name == NoFrontEnd) return null;
        if (!_factories.TryGetValue(name, out var factory))
            throw new UsageException($"--vm: unknown front end '{name}' (known: {string.Join(", ", _factories.Keys)}, {NoFrontEnd})");
        return factory;
    }
}
