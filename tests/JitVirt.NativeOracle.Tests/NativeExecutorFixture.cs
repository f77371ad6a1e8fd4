using JitVirt.NativeOracle;

namespace JitVirt.NativeOracle.Tests;

/// <summary>One native executor shared by the tests of a class.</summary>
public sealed class NativeExecutorFixture : IDisposable
{
    public NativeExecutor Executor { get; } = new();

    public OracleLayout Layout => Executor.Layout;

    public OracleState NewState() => new(Layout);

    public void Dispose() => Executor.Dispose();
}
