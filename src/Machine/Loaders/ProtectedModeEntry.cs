using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The flat 32-bit protected-mode state both Multiboot (§3.2) and Linux's 32-bit boot protocol
/// enter in: CR0.PE=1 with paging off, CS = 0x10 flat execute/read (D=1), DS/ES/FS/GS/SS = 0x18
/// flat read/write, GDTR pointing at a <see cref="BootGdt"/> in guest memory, EFLAGS.IF=0 and VM=0.
/// </summary>
public static class ProtectedModeEntry
{
    /// <summary>CR0 at entry: PE and ET (caches enabled: CD and NW clear, as firmware leaves them).</summary>
    public const ulong Cr0Value = Cr0.PE | Cr0.ET;

    public static SegmentRegister Code => FlatSegments.Flat(BootGdt.CodeSelector, FlatSegments.Code32Rights);
    public static SegmentRegister Data => FlatSegments.Flat(BootGdt.DataSelector, FlatSegments.Data32Rights);

    public static byte[] Gdt() => BootGdt.Build(Code, Data);

    public static BootState At(ulong eip, ulong gdtAddress) => new()
    {
        Mode = EntryMode.Protected32,
        Rip = eip,
        Cs = Code,
        Ds = Data,
        Es = Data,
        Fs = Data,
        Gs = Data,
        Ss = Data,
        Gdtr = BootGdt.Register(gdtAddress),
        Cr0 = Cr0Value,
    };
}
