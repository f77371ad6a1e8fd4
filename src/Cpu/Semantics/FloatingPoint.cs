namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Registrar of the x87 FPU, MMX, SSE and SSE2 families (their forms live in <c>Semantics/X87</c>
/// and <c>Semantics/Sse</c>).
/// </summary>
static class FloatingPoint
{
    public static void Register()
    {
        X87.X87Family.Register();
        Sse.SimdInteger.Register();
        Sse.SimdFloat.Register();
        Sse.SimdMove.Register();
        Sse.FxSave.Register();
    }
}
