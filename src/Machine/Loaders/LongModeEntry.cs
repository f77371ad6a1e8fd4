using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The long-mode state of Linux's 64-bit boot protocol (boot.rst): paging on with identity-mapped
/// tables, CS = __BOOT_CS 0x10 a 64-bit code segment, DS/ES/SS (and FS/GS) = __BOOT_DS 0x18,
/// interrupts off.
/// </summary>
public static class LongModeEntry
{
    /// <summary>CR0: PE, ET and PG (SDM vol.3 §10.8.5: IA-32e mode needs PE and PG).</summary>
    public const ulong Cr0Value = Cr0.PE | Cr0.ET | Cr0.PG;
    /// <summary>CR4.PAE, required before EFER.LME takes effect (SDM vol.3 §10.8.5).</summary>
    public const ulong Cr4Value = Cr4.PAE;
    /// <summary>EFER.LME and, with paging on, LMA (SDM vol.3 §10.8.5).</summary>
    public const ulong EferValue = Efer.LME | Efer.LMA;

    public static SegmentRegister Code => FlatSegments.Flat(BootGdt.CodeSelector, FlatSegments.Code64Rights);
    public static SegmentRegister Data => FlatSegments.Flat(BootGdt.DataSelector, FlatSegments.Data32Rights);

    public static byte[] Gdt() => BootGdt.Build(Code, Data);

    public static BootState At(ulong rip, ulong gdtAddress, ulong pml4Address) => new()
    {
        Mode = EntryMode.Long64,
        Rip = rip,
        Cs = Code,
        Ds = Data,
        Es = Data,
        Fs = Data,
        Gs = Data,
        Ss = Data,
        Gdtr = BootGdt.Register(gdtAddress),
        Cr0 = Cr0Value,
        Cr3 = pml4Address,
        Cr4 = Cr4Value,
        Efer = EferValue,
    };
}
