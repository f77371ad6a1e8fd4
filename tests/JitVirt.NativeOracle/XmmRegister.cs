namespace JitVirt.NativeOracle;

/// <summary>A 128-bit XMM register value as two 64-bit halves (little-endian: <see cref="Low"/> holds bytes 0–7).</summary>
public readonly record struct XmmRegister(ulong Low, ulong High)
{
    public override string ToString() => $"{High:X16}_{Low:X16}";
}
