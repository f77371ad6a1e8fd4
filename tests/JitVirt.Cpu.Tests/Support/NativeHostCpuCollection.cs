using Xunit;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>
/// Test classes that execute instructions natively (<see cref="JitVirt.NativeOracle.NativeExecutor"/>)
/// run one at a time: the executor's fault handler is process-wide, so native runs from parallel
/// test classes must not overlap.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeHostCpuCollection
{
    public const string Name = "Native host CPU";
}
