using System.Runtime.InteropServices;
using Iced.Intel;

namespace JitVirt.Cpu.Fpu;

/// <summary>
/// Runs one x87 transcendental instruction on the host's own x87 (x86-64 hosts), the x87 analogue
/// of computing RCPPS/RSQRTPS with the host instruction: the vendors' transcendental approximations
/// are undocumented and differ from a correctly rounded result in the last bit for a few percent of
/// arguments, so the only bit-exact source is the hardware itself.
/// <para>
/// Each instruction has a fixed thunk; nothing in it depends on guest data, which reaches it only as
/// the contents of a 110-byte buffer: a 108-byte FNSAVE image in the 32-bit protected-mode layout
/// (SDM vol.1 §8.1.10, Figure 8-9) and, at offset 108, a slot where the thunk keeps the host's control word:
/// <code>
///   FNSTCW [arg+108]   D9 /7    keep the host's FCW (non-waiting)
///   FNCLEX             DB E2    nothing pending on the host (non-waiting)
///   FRSTOR [arg]       DD /4    the guest's x87 state
///   op                 D9 xx    the instruction (table in <see cref="OpcodeByte"/>)
///   FNSAVE [arg]       DD /6    the result; then the FPU is as after FNINIT (non-waiting)
///   FLDCW  [arg+108]   D9 /5    the host's FCW again (FNINIT left 037FH; nothing is pending)
///   RET                C3
/// </code>
/// (SDM vol.2 opcode tables for FSTCW, FCLEX, FRSTOR, FSAVE, FLDCW.) The argument register is RDI
/// under the System V ABI and RCX under the Windows x64 ABI; the encoding is chosen at start-up.
/// The thunk uses no stack and touches no other register than the x87 state, which it leaves
/// empty, as both ABIs require at a call boundary.
/// </para>
/// <para>
/// No host trap is possible when the caller passes an image whose FSW has the exception flags,
/// SF, ES and B clear (the x87 semantics' image builder, X87Family.Host, does): x87 exceptions are not
/// delivered by the instruction that raises them but by the next waiting x87 instruction (SDM
/// vol.1 §8.6), and every instruction after the transcendental is non-waiting or runs after
/// FNSAVE has reinitialised the FPU. Stack faults, NaNs, denormals and unsupported encodings are
/// x87 exceptions like any other; the instruction cannot fault on memory.
/// </para>
/// </summary>
public static unsafe class HostX87
{
    /// <summary>The FNSAVE image (32-bit protected-mode layout, SDM vol.1 Figure 8-9).</summary>
    public const int ImageSize = 108;
    /// <summary>Where the thunk keeps the host's FCW while the guest's is loaded.</summary>
    public const int HostControlWordOffset = 108;
    /// <summary>Bytes the buffer passed to <see cref="Execute"/> must have.</summary>
    public const int BufferSize = 110;

    /// <summary>The instructions with a thunk, in thunk order.</summary>
    public static readonly Mnemonic[] Instructions =
        [Mnemonic.Fsin, Mnemonic.Fcos, Mnemonic.Fsincos, Mnemonic.Fptan, Mnemonic.Fpatan, Mnemonic.F2xm1, Mnemonic.Fyl2x, Mnemonic.Fyl2xp1];

    const int SlotSize = 16;

    static readonly byte* Code = Create();

    /// <summary>True on an x86-64 Linux or Windows host that gave us executable memory.</summary>
    public static bool IsSupported => Code != null;

    /// <summary>The second opcode byte after D9 (SDM vol.2, FSIN … FYL2XP1; Table A-10, escape opcode D9 with ModRM above BFH).</summary>
    public static byte OpcodeByte(Mnemonic m) => m switch
    {
        Mnemonic.Fsin => 0xFE,
        Mnemonic.Fcos => 0xFF,
        Mnemonic.Fsincos => 0xFB,
        Mnemonic.Fptan => 0xF2,
        Mnemonic.Fpatan => 0xF3,
        Mnemonic.F2xm1 => 0xF0,
        Mnemonic.Fyl2x => 0xF1,
        Mnemonic.Fyl2xp1 => 0xF9,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "not a host x87 instruction"),
    };

    /// <summary>
    /// The thunk for <paramref name="m"/>; <paramref name="windows"/> selects the Windows x64 argument
    /// register (RCX) instead of the System V one (RDI). ModRM bytes: SDM vol.2 Table 2-2 (mod 00 or
    /// 01 with disp8, r/m 111 = RDI, 001 = RCX).
    /// </summary>
    public static byte[] Thunk(Mnemonic m, bool windows)
    {
        byte rm = windows ? (byte)0b001 : (byte)0b111;
        const byte disp = HostControlWordOffset;
        return
        [
            0xD9, (byte)(0b01_111_000 | rm), disp,  // FNSTCW [arg+108]
            0xDB, 0xE2,                              // FNCLEX
            0xDD, (byte)(0b00_100_000 | rm),         // FRSTOR [arg]
            0xD9, OpcodeByte(m),                     // the transcendental
            0xDD, (byte)(0b00_110_000 | rm),         // FNSAVE [arg]
            0xD9, (byte)(0b01_101_000 | rm), disp,   // FLDCW [arg+108]
            0xC3,                                    // RET
        ];
    }

    /// <summary>Runs <paramref name="m"/> on the host x87 over the FNSAVE image in <paramref name="buffer"/> (at least <see cref="BufferSize"/> bytes), in place.</summary>
    public static void Execute(Mnemonic m, Span<byte> buffer)
    {
        if (Code == null) throw new PlatformNotSupportedException("no host x87 thunks on this host");
        if (buffer.Length < BufferSize) throw new ArgumentException("buffer too small", nameof(buffer));
        var thunk = (delegate* unmanaged[SuppressGCTransition]<byte*, void>)(Code + SlotSize * Slot(m));
        fixed (byte* p = buffer) thunk(p);
    }

    static int Slot(Mnemonic m) => m switch
    {
        Mnemonic.Fsin => 0, Mnemonic.Fcos => 1, Mnemonic.Fsincos => 2, Mnemonic.Fptan => 3,
        Mnemonic.Fpatan => 4, Mnemonic.F2xm1 => 5, Mnemonic.Fyl2x => 6, Mnemonic.Fyl2xp1 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "not a host x87 instruction"),
    };

    static byte* Create()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows()) return null;
        bool windows = OperatingSystem.IsWindows();
        var code = new byte[SlotSize * Instructions.Length];
        code.AsSpan().Fill(0xCC); // INT3 between thunks
        foreach (var m in Instructions) Thunk(m, windows).CopyTo(code, SlotSize * Slot(m));
        return ExecutableMemory.TryCreate(code);
    }
}
