using System.Buffers.Binary;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using static JitVirt.Cpu.Fpu.X87Stack;

namespace JitVirt.Cpu.Semantics.X87;

/// <summary>The transcendental instructions on the host's x87 (<see cref="HostX87"/>, decision 0014).</summary>
static partial class X87Family
{
    // FNSAVE image, 32-bit protected-mode layout (SDM vol.1 §8.1.10, Figure 8-9): FCW, FSW and FTW
    // in the low halves of the first three doublewords, the eight registers from byte 28 in ST(i) order.
    const int ImageFcw = 0, ImageFsw = 4, ImageFtw = 8, ImageRegisters = 28;

    /// <summary>FSW bits the host never sees: the sticky exception flags and SF (bits 6:0), ES (7) and B (15) (SDM vol.1 §8.1.3).</summary>
    const ushort PendingBits = 0x7F | X87Bits.ES | X87Bits.B;

    static bool OnHost(Mnemonic m) =>
        X87Transcendentals.UseHost && m is Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan
            or Mnemonic.Fpatan or Mnemonic.F2xm1 or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1;

    /// <summary>
    /// Runs <paramref name="m"/> on the host x87 over the guest's x87 state, after the guest-level
    /// checks (#NM, pending #MF) and the FIP/FOP/FDP update, which stay the emulator's. The host sees
    /// the guest's FCW, TOP, C0–C3, tags and registers, but none of its pending exception state (a
    /// loaded unmasked flag would make the host raise #MF, SDM vol.1 §8.6). Afterwards the host's
    /// C0–C3, TOP, tags and registers become the guest's; the flags it raised are added to the guest's
    /// sticky ones, and ES/B summarise them as after any FSW update.
    /// </summary>
    static void RunOnHost(Cpu cpu, Mnemonic m)
    {
        Span<byte> image = stackalloc byte[HostX87.BufferSize];
        image.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(image[ImageFcw..], cpu.Fcw);
        BinaryPrimitives.WriteUInt16LittleEndian(image[ImageFsw..], (ushort)(cpu.Fsw & ~PendingBits));
        BinaryPrimitives.WriteUInt16LittleEndian(image[ImageFtw..], FullTagWord(cpu));
        StoreRegisterArea(cpu, image[ImageRegisters..]);

        HostX87.Execute(m, image);

        ushort sw = BinaryPrimitives.ReadUInt16LittleEndian(image[ImageFsw..]);
        const ushort fromHost = X87Bits.ConditionMask | 0x3800; // C0–C3 and TOP (bits 13:11)
        cpu.Fsw = (ushort)((sw & fromHost) | ((cpu.Fsw | sw) & 0x7F));
        cpu.UpdateFpuErrorSummary();
        cpu.FpuTagValid = AbridgedFromFull(BinaryPrimitives.ReadUInt16LittleEndian(image[ImageFtw..]));
        LoadRegisterArea(cpu, image[ImageRegisters..]);
    }
}
