using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>Real-mode entry states for images started the way a PC BIOS starts a boot sector.</summary>
public static class RealModeEntry
{
    /// <summary>
    /// CS:IP = <paramref name="segment"/>:<paramref name="offset"/>, DS=ES=FS=GS=SS=0, DL = the BIOS
    /// drive number the image was "read" from, SP just below the conventional 0x7C00 load address,
    /// interrupts off (there is no BIOS, so no interrupt vectors to take).
    /// </summary>
    public static BootState At(ushort segment, ushort offset, byte driveNumber, ushort stackPointer) => new()
    {
        Mode = EntryMode.Real,
        Rip = offset,
        Rdx = driveNumber,
        Rsp = stackPointer,
        Cs = SegmentRegister.RealMode(segment, SegmentRegister.RealModeCode),
        Ds = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Es = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Fs = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Gs = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
        Ss = SegmentRegister.RealMode(0, SegmentRegister.RealModeData),
    };
}
