namespace JitVirt.Machine.Firmware;

/// <summary>One address range descriptor: base, length, type (ACPI 6.x §15.1 Table 15.3).</summary>
public readonly record struct E820Entry(ulong Base, ulong Length, E820Type Type)
{
    public ulong End => Base + Length;
}
