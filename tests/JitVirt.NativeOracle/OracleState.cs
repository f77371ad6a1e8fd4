using System.Text;

namespace JitVirt.NativeOracle;

/// <summary>
/// The architectural state an oracle case starts from and ends with: the GPRs, RFLAGS, the SSE state,
/// the contents of the scratch and stack blocks of an <see cref="OracleLayout"/>, and the fault outcome.
/// An executor reads it as input and overwrites it with the result.
/// </summary>
public sealed class OracleState
{
    /// <summary>Power-on MXCSR: all exceptions masked, round to nearest (SDM vol. 1 §10.2.3.1).</summary>
    public const uint DefaultMxcsr = 0x1F80;

    /// <summary>The MXCSR bits a state may carry; the rest are reserved and would make LDMXCSR raise #GP
    /// (SDM vol. 1 §10.2.3; MXCSR_MASK is 0xFFFF on every CPU that reports it, vol. 1 §11.6.6).</summary>
    public const uint MxcsrMask = 0xFFFF;

    /// <summary>Creates a reset state sized for <paramref name="layout"/> (see <see cref="Reset"/>).</summary>
    public OracleState(OracleLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Scratch = new byte[layout.ScratchSize];
        Stack = new byte[layout.StackSize];
        Reset(layout);
    }

    private OracleState(OracleState other)
    {
        Scratch = new byte[other.Scratch.Length];
        Stack = new byte[other.Stack.Length];
        CopyFrom(other);
    }

    /// <summary>RAX..R15, indexed by <see cref="GprIndex"/>.</summary>
    public ulong[] Gpr { get; } = new ulong[GprIndex.Count];

    /// <summary>RFLAGS. As input only <see cref="X86Flags.GuestControlled"/> is honoured; as output an
    /// executor reports <see cref="X86Flags.Reported"/> plus the reserved bit 1.</summary>
    public ulong Rflags { get; set; }

    /// <summary>XMM0–XMM15.</summary>
    public XmmRegister[] Xmm { get; } = new XmmRegister[16];

    /// <summary>MXCSR (only <see cref="MxcsrMask"/> bits are used).</summary>
    public uint Mxcsr { get; set; }

    /// <summary>Contents of the scratch block at <see cref="OracleLayout.ScratchAddress"/>.</summary>
    public byte[] Scratch { get; }

    /// <summary>Contents of the stack block at <see cref="OracleLayout.StackAddress"/>.</summary>
    public byte[] Stack { get; }

    /// <summary>Exception vector raised by the code (<see cref="FaultVectors"/>), or -1 if none.</summary>
    public int FaultVector { get; set; } = FaultVectors.None;

    /// <summary>Error code pushed with the fault (0 for vectors without one).</summary>
    public ulong ErrorCode { get; set; }

    /// <summary>Faulting linear address (CR2) for #PF, otherwise 0.</summary>
    public ulong FaultAddress { get; set; }

    /// <summary>True when <see cref="FaultVector"/> reports an exception.</summary>
    public bool Faulted => FaultVector != FaultVectors.None;

    /// <summary>Zeroes everything, then sets RSP to <see cref="OracleLayout.InitialStackPointer"/>,
    /// RFLAGS to its reserved bit only and MXCSR to <see cref="DefaultMxcsr"/>.</summary>
    public void Reset(OracleLayout layout)
    {
        Array.Clear(Gpr);
        Gpr[GprIndex.Rsp] = layout.InitialStackPointer;
        Rflags = X86Flags.Reserved1;
        Array.Clear(Xmm);
        Mxcsr = DefaultMxcsr;
        Array.Clear(Scratch);
        Array.Clear(Stack);
        ClearOutcome();
    }

    /// <summary>Clears the fault outcome (done by executors before running).</summary>
    public void ClearOutcome()
    {
        FaultVector = FaultVectors.None;
        ErrorCode = 0;
        FaultAddress = 0;
    }

    /// <summary>Overwrites this state with <paramref name="other"/> without allocating.</summary>
    public void CopyFrom(OracleState other)
    {
        if (other.Scratch.Length != Scratch.Length || other.Stack.Length != Stack.Length)
            throw new ArgumentException("States belong to layouts with different memory sizes.", nameof(other));
        Array.Copy(other.Gpr, Gpr, GprIndex.Count);
        Rflags = other.Rflags;
        Array.Copy(other.Xmm, Xmm, Xmm.Length);
        Mxcsr = other.Mxcsr;
        Buffer.BlockCopy(other.Scratch, 0, Scratch, 0, Scratch.Length);
        Buffer.BlockCopy(other.Stack, 0, Stack, 0, Stack.Length);
        FaultVector = other.FaultVector;
        ErrorCode = other.ErrorCode;
        FaultAddress = other.FaultAddress;
    }

    /// <summary>A deep copy.</summary>
    public OracleState Clone() => new(this);

    /// <summary>Registers, flags, SSE state and outcome, one register per line (memory is not dumped;
    /// <see cref="OracleComparer"/> lists differing memory bytes separately).</summary>
    public string Describe(ExecutionMode mode)
    {
        var sb = new StringBuilder();
        int visible = GprIndex.VisibleCount(mode);
        for (int i = 0; i < visible; i++)
        {
            sb.Append(GprIndex.Name(i).PadLeft(3)).Append('=').Append(Gpr[i].ToString("X16"));
            sb.Append((i & 3) == 3 ? '\n' : ' ');
        }
        sb.Append("rflags=").Append(X86Flags.Describe(Rflags)).Append(" mxcsr=").Append(Mxcsr.ToString("X4"));
        sb.Append(" fault=").Append(FaultVectors.Name(FaultVector));
        if (Faulted) sb.Append(" err=").Append(ErrorCode.ToString("X")).Append(" cr2=").Append(FaultAddress.ToString("X"));
        sb.Append('\n');
        int xmmVisible = mode == ExecutionMode.Long64 ? 16 : 8;
        for (int i = 0; i < xmmVisible; i++)
        {
            sb.Append("xmm").Append(i).Append('=').Append(Xmm[i].ToString());
            sb.Append((i & 1) == 1 ? '\n' : ' ');
        }
        return sb.ToString();
    }
}
