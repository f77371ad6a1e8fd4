using Iced.Intel;

namespace JitVirt.Cpu.State;

/// <summary>
/// Maps Iced's <see cref="Register"/> values to the GPR file: index 0-15, width in bytes, and
/// whether it is one of AH/CH/DH/BH (bits 15:8 of registers 0-3; SDM vol.1 §3.4.1.1).
/// Built once from Iced's own register metadata, so no table is written by hand.
/// </summary>
public static class RegisterMap
{
    public static readonly sbyte[] GprIndex;
    public static readonly byte[] Width;
    public static readonly bool[] IsHigh8;
    /// <summary>Segment register number (ES=0 … GS=5) for ES..GS, else -1.</summary>
    public static readonly sbyte[] SegmentNumber;

    static RegisterMap()
    {
        int n = 0;
        foreach (Register r in Enum.GetValues<Register>()) n = Math.Max(n, (int)r + 1);
        GprIndex = new sbyte[n];
        Width = new byte[n];
        IsHigh8 = new bool[n];
        SegmentNumber = new sbyte[n];
        Array.Fill(GprIndex, (sbyte)-1);
        Array.Fill(SegmentNumber, (sbyte)-1);
        foreach (Register r in Enum.GetValues<Register>())
        {
            if (r == Register.None) continue;
            int i = (int)r;
            if (r.IsGPR())
            {
                Width[i] = (byte)r.GetSize();
                if (r is Register.AH or Register.CH or Register.DH or Register.BH)
                {
                    IsHigh8[i] = true;
                    GprIndex[i] = (sbyte)(r - Register.AH);
                }
                else
                {
                    GprIndex[i] = (sbyte)r.GetFullRegister().GetNumber();
                }
            }
            else if (r.IsSegmentRegister())
            {
                SegmentNumber[i] = (sbyte)(r - Register.ES);
                Width[i] = 2;
            }
        }
    }
}
