using JitVirt.Cpu.State;

namespace JitVirt.Vmx.Tests;

/// <summary>Descriptor tables for the 64-bit test guests: a GDT (null, code64 at 08h, data at 10h) and an IDT of 16-byte gates (SDM vol.3 §6.14.1).</summary>
public static class GuestTables
{
    public const ulong Gdt = 0x2000, Idt = 0x3000;

    public static void Install(JitVirt.Cpu.Cpu cpu)
    {
        cpu.Physical.WriteBytes(Gdt, BitConverter.GetBytes(0ul));
        cpu.Physical.WriteBytes(Gdt + 8, BitConverter.GetBytes(0x0020_9A00_0000_0000ul));   // L=1, P, DPL 0, code
        cpu.Physical.WriteBytes(Gdt + 16, BitConverter.GetBytes(0x0000_9200_0000_0000ul));  // P, data, writable
        cpu.Gdtr = new DescriptorTableRegister { Base = Gdt, Limit = 0x17 };
        cpu.Idtr = new DescriptorTableRegister { Base = Idt, Limit = 0xFFF };
    }

    /// <summary>A 64-bit interrupt gate (type 14) to <paramref name="handler"/> through selector 08h.</summary>
    public static void Gate(JitVirt.Cpu.Cpu cpu, byte vector, ulong handler, int dpl = 0)
    {
        ulong low = (handler & 0xFFFF) | (0x08ul << 16) | (0xEul << 40) | ((ulong)dpl << 45) | (1ul << 47) | ((handler >> 16 & 0xFFFF) << 48);
        cpu.Physical.WriteBytes(Idt + vector * 16ul, BitConverter.GetBytes(low));
        cpu.Physical.WriteBytes(Idt + vector * 16ul + 8, BitConverter.GetBytes(handler >> 32));
    }
}
