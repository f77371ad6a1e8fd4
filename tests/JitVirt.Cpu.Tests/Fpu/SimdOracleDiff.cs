using System.Text;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>Compares two outcomes of a SIMD oracle case: GPRs, the status flags, XMM0–15, MXCSR, the fault and the scratch block.</summary>
public static class SimdOracleDiff
{
    /// <summary>
    /// A description of every difference, or null when the outcomes agree. Scratch bytes in
    /// [<paramref name="ignoreFrom"/>, <paramref name="ignoreTo"/>) are skipped (the x87 instruction and
    /// data pointers of an FNSTENV image, which MMX instructions leave implementation-specific).
    /// </summary>
    public static string? Compare(OracleState e, OracleState a, int ignoreFrom = 0, int ignoreTo = 0)
    {
        var sb = new StringBuilder();
        for (int k = 0; k < 16; k++) if (e.Gpr[k] != a.Gpr[k]) sb.Append($"  {GprIndex.Name(k)}: expected {e.Gpr[k]:X16} actual {a.Gpr[k]:X16}\n");
        if (((e.Rflags ^ a.Rflags) & X86Flags.Arithmetic) != 0) sb.Append($"  rflags: expected {e.Rflags:X} actual {a.Rflags:X}\n");
        for (int k = 0; k < 16; k++) if (e.Xmm[k] != a.Xmm[k]) sb.Append($"  xmm{k}: expected {e.Xmm[k]} actual {a.Xmm[k]}\n");
        if (e.Mxcsr != a.Mxcsr) sb.Append($"  mxcsr: expected {e.Mxcsr:X4} actual {a.Mxcsr:X4}\n");
        if (e.FaultVector != a.FaultVector) sb.Append($"  fault: expected {FaultVectors.Name(e.FaultVector)} actual {FaultVectors.Name(a.FaultVector)}\n");
        else if (e.Faulted && (e.ErrorCode != a.ErrorCode || e.FaultAddress != a.FaultAddress))
            sb.Append($"  error code/cr2: expected {e.ErrorCode:X}/{e.FaultAddress:X} actual {a.ErrorCode:X}/{a.FaultAddress:X}\n");
        for (int k = 0; k < e.Scratch.Length; k++)
        {
            if (k >= ignoreFrom && k < ignoreTo) continue;
            if (e.Scratch[k] == a.Scratch[k]) continue;
            int row = k & ~0xF;
            sb.Append($"  scratch+{row:X}: expected {Convert.ToHexString(e.Scratch, row, 16)} actual {Convert.ToHexString(a.Scratch, row, 16)}\n");
            k = row + 15;
        }
        return sb.Length == 0 ? null : sb.ToString();
    }
}
