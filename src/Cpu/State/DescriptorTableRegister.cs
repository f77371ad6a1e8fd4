namespace JitVirt.Cpu.State;

/// <summary>GDTR or IDTR: a linear base and a 16-bit limit (SDM vol.3 §2.4.1, §2.4.3).</summary>
public struct DescriptorTableRegister
{
    public ulong Base;
    public uint Limit;
    public override readonly string ToString() => $"base={Base:X} limit={Limit:X}";
}
