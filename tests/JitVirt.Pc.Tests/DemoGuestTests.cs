using System.Text;
using Iced.Intel;
using Decoder = Iced.Intel.Decoder;
using JitVirt.Machine.Demo;

namespace JitVirt.Pc.Tests;

/// <summary>The demo guest's image, checked by decoding it back (independent of the CPU core).</summary>
public class DemoGuestTests
{
    private static readonly byte[] Image = DemoGuest.Assemble();

    private static List<Instruction> Decode(int bitness, ulong address, int offset, int length)
    {
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(Image, offset, length));
        decoder.IP = address;
        var list = new List<Instruction>();
        while (decoder.IP < address + (ulong)length)
        {
            decoder.Decode(out var insn);
            list.Add(insn);
        }
        return list;
    }

    [Fact]
    public void RealModeStubLoadsTheGdtSetsPeAndJumpsFarIntoProtectedMode()
    {
        Assert.Equal(0xEB, Image[0]); // jmp short over the GDT
        int codeStart = 2 + Image[1];
        var stub = Decode(16, DemoGuest.LoadAddress + (ulong)codeStart, codeStart, 0x40);
        Assert.Contains(stub, i => i.Mnemonic == Mnemonic.Lgdt);
        Assert.Contains(stub, i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.CR0);
        var far = stub.First(i => i.Mnemonic == Mnemonic.Jmp && i.Op0Kind == OpKind.FarBranch32);
        Assert.Equal(0x08, far.FarBranchSelector);
        Assert.Equal((uint)DemoGuest.ProtectedModeAddress, far.FarBranch32);
        // The flat code descriptor at GDT entry 1: base 0, limit FFFFFh, G, D, present, type 1010b.
        Assert.Equal(0x00CF_9A00_0000_FFFFul, BitConverter.ToUInt64(Image, 8 + 8));
    }

    [Fact]
    public void ProtectedModePartDoesWhatTheDemoPromises()
    {
        int offset = (int)(DemoGuest.ProtectedModeAddress - DemoGuest.LoadAddress);
        string text = Encoding.ASCII.GetString(Image, offset, Image.Length - offset);
        // Code ends where the data begins: IDTR (6), tick count (4), MSR value (4), vendor buffer (16), then the first message.
        int codeLength = text.IndexOf(DemoGuest.OutputPrefix, StringComparison.Ordinal) - (6 + 4 + 4 + 16);
        var body = Decode(32, DemoGuest.ProtectedModeAddress, offset, codeLength);
        foreach (var mnemonic in new[] { Mnemonic.Lidt, Mnemonic.Sti, Mnemonic.Hlt, Mnemonic.Cpuid, Mnemonic.Wrmsr, Mnemonic.Rdmsr, Mnemonic.Iretd })
            Assert.Contains(body, i => i.Mnemonic == mnemonic);
        Assert.Contains(body, i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.CR3);
        Assert.Contains(body, i => i.Mnemonic == Mnemonic.Out && i.Op0Kind == OpKind.Immediate8 && i.Immediate8 == 0xF4);
        Assert.Contains(body, i => i.Mnemonic == Mnemonic.Out && i.Op0Kind == OpKind.Immediate8 && i.Immediate8 == 0x43); // PIT control
        Assert.DoesNotContain(body, i => i.IsIPRelativeMemoryOperand); // 32-bit code cannot address RIP-relatively
        Assert.Contains("timer interrupts, paging on", text);
        Assert.Contains("TSC_AUX=0x", text);
    }

    [Fact]
    public void AssemblyIsDeterministic() => Assert.Equal(Image, DemoGuest.Assemble());
}
