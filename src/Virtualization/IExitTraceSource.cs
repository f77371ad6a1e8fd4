namespace JitVirt.Virtualization;

/// <summary>
/// A front end that can report KVM tracepoints. Optional beside <see cref="IFrontEnd"/>: the command
/// line sets <see cref="Tracer"/> once, before the first run, when <c>--trace</c> asks for events.
/// </summary>
public interface IExitTraceSource
{
    /// <summary>Where tracepoints go; null (the default) means tracing is off and costs one null check per site.</summary>
    IExitTracer? Tracer { get; set; }
}
