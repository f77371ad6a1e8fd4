namespace JitVirt.Cpu.State;

/// <summary>RFLAGS bit positions (SDM vol.1 §3.4.3, Figure 3-8; vol.3 §2.3).</summary>
public static class Rflags
{
    public const ulong CF = 1ul << 0;
    public const ulong Reserved1 = 1ul << 1; // always reads 1
    public const ulong PF = 1ul << 2;
    public const ulong AF = 1ul << 4;
    public const ulong ZF = 1ul << 6;
    public const ulong SF = 1ul << 7;
    public const ulong TF = 1ul << 8;
    public const ulong IF = 1ul << 9;
    public const ulong DF = 1ul << 10;
    public const ulong OF = 1ul << 11;
    public const ulong IoplMask = 3ul << 12;
    public const int IoplShift = 12;
    public const ulong NT = 1ul << 14;
    public const ulong RF = 1ul << 16;
    public const ulong VM = 1ul << 17;
    public const ulong AC = 1ul << 18;
    public const ulong VIF = 1ul << 19;
    public const ulong VIP = 1ul << 20;
    public const ulong ID = 1ul << 21;

    /// <summary>The six status flags that arithmetic writes.</summary>
    public const ulong Arithmetic = CF | PF | AF | ZF | SF | OF;

    /// <summary>Bits software can ever change (everything else reads as its fixed value).</summary>
    public const ulong Writable = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IoplMask | NT | RF | VM | AC | VIF | VIP | ID;
}
