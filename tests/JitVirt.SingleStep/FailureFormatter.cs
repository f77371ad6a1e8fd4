using System.Text;

namespace JitVirt.SingleStep;

/// <summary>Human-readable description of a failed test: registers side by side, differing ones marked.</summary>
public static class FailureFormatter
{
    public static string Describe(TestFailure failure)
    {
        var t = failure.Test;
        var c = failure.Comparison;
        var sb = new StringBuilder();
        sb.Append('#').Append(t.Index).Append(' ').Append(t.Name)
          .Append("  bytes ").Append(Convert.ToHexString(t.Bytes))
          .Append("  hash ").Append(t.HashHex).AppendLine();
        if (t.Exception is { } e)
            sb.Append("  expects exception: vector ").Append(e.Vector)
              .Append(", FLAGS pushed at ").Append(e.FlagAddress.ToString("X6")).AppendLine();
        if (c.Status != RealModeStatus.Ok)
            sb.Append("  status ").Append(c.Status).Append(": ").Append(c.Message).AppendLine();

        sb.AppendLine("   reg   expected actual");
        for (int i = 0; i < RegisterSet.Count; i++)
        {
            var id = (RegisterId)i;
            bool differs = c.RegisterDiffers(id);
            sb.Append(differs ? "  *" : "   ").Append(RegisterSet.NameOf(id).PadRight(6))
              .Append(c.Expected[i].ToString("X4")).Append("     ")
              .Append(c.Actual is { } a ? a[i].ToString("X4") : "----");
            if (id == RegisterId.Flags && c.FlagsMask != OpcodeInfo.AllFlagsDefined)
                sb.Append("   (compared under mask ").Append(c.FlagsMask.ToString("X4")).Append(')');
            sb.AppendLine();
        }

        foreach (var m in c.MemoryMismatches)
        {
            sb.Append("  *mem ").Append(m.Address.ToString("X6"))
              .Append(m.ExpectedWrite ? " written: expected " : " must be unchanged: expected ")
              .Append(m.Expected.ToString("X2")).Append(" actual ").Append(m.Actual.ToString("X2"));
            if (m.Mask != 0xFF) sb.Append(" (mask ").Append(m.Mask.ToString("X2")).Append(')');
            sb.AppendLine();
        }

        if (failure.KnownDifference is { } d)
            sb.Append("  documented 286/386 difference ").Append(d.Id).Append(": ").Append(d.Behaviour286)
              .Append(" / 386+: ").Append(d.Behaviour386).AppendLine();
        return sb.ToString();
    }
}
