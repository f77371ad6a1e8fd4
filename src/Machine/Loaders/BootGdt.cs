using System.Buffers.Binary;
using JitVirt.Cpu.State;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The four-entry GDT the protocol loaders write into guest memory so that a later segment load
/// finds what the caches already hold: two null entries, then the code segment at selector 0x10
/// (__BOOT_CS) and the data segment at 0x18 (__BOOT_DS), the selectors Linux's boot protocol
/// names (Documentation/arch/x86/boot.rst, "32-bit boot protocol"). Multiboot uses the same layout.
/// </summary>
public static class BootGdt
{
    public const ushort CodeSelector = 0x10;
    public const ushort DataSelector = 0x18;
    public const int Entries = 4;
    public const int Size = Entries * 8;

    public static byte[] Build(in SegmentRegister code, in SegmentRegister data)
    {
        var gdt = new byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(CodeSelector), GdtDescriptor.Encode(code));
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(DataSelector), GdtDescriptor.Encode(data));
        return gdt;
    }

    public static DescriptorTableRegister Register(ulong address) => new() { Base = address, Limit = Size - 1 };
}
