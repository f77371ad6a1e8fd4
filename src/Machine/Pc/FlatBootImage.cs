using JitVirt.Cpu.State;

namespace JitVirt.Machine.Pc;

/// <summary>
/// A raw image copied to <see cref="LoadAddress"/> and entered in real mode at <c>Cs:Ip</c> with the data
/// segments at 0, SS:SP = 0:<see cref="StackPointer"/> and interrupts disabled, as a boot sector is.
/// </summary>
public sealed class FlatBootImage(byte[] image, ulong loadAddress, ushort cs, ushort ip, ushort stackPointer = FlatBootImage.DefaultStackPointer) : IBootImage
{
    /// <summary>Just below the classic boot-sector address 7C00h.</summary>
    public const ushort DefaultStackPointer = 0x7000;

    public ulong LoadAddress => loadAddress;

    public string Description => $"flat image, {image.Length} bytes at 0x{loadAddress:X}, entry {cs:X4}:{ip:X4}";

    /// <summary>An image whose first byte is its entry point, loaded below 1 MiB.</summary>
    public static FlatBootImage AtPhysical(byte[] image, ulong loadAddress)
    {
        if (loadAddress + (ulong)image.Length > 0x10_0000 || (loadAddress & 0xF) != 0)
            throw new ArgumentOutOfRangeException(nameof(loadAddress), "a real-mode flat image must be paragraph-aligned and end below 1 MiB");
        return new FlatBootImage(image, loadAddress, (ushort)(loadAddress >> 4), 0);
    }

    public void Load(PcMachine machine)
    {
        if (loadAddress + (ulong)image.Length > machine.Memory.RamSize)
            throw new InvalidOperationException($"the {image.Length}-byte image at 0x{loadAddress:X} does not fit in {machine.Memory.RamSize} bytes of RAM");
        machine.Memory.WriteBytes(loadAddress, image);
        var cpu = machine.Cpu;
        for (int s = 0; s < SegmentIndex.Count; s++) cpu.LoadRealModeSegment(s, 0);
        cpu.LoadRealModeSegment(SegmentIndex.Cs, cs);
        cpu.Rip = ip;
        cpu.Gpr[Gpr.Rsp] = stackPointer;
    }
}
