using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cli.Tests;

/// <summary>The flat real-mode guests the CLI tests boot with -kernel.</summary>
public static class Guests
{
    /// <summary>Prints <paramref name="text"/> on COM1, then writes <paramref name="value"/> to isa-debug-exit.</summary>
    public static string PrintThenExit(string text, byte value) => CliHarness.FlatKernel(a =>
    {
        CliHarness.Print(a, text);
        CliHarness.DebugExit(a, value);
    });

    /// <summary>Prints <paramref name="text"/>, then spins forever (only --until or --timeout ends it).</summary>
    public static string PrintThenSpin(string text) => CliHarness.FlatKernel(a =>
    {
        CliHarness.Print(a, text);
        CliHarness.SpinForever(a);
    });

    /// <summary>
    /// Prints <paramref name="text"/>, loads an IDT limit of 0 and executes INT3: in real mode a vector beyond
    /// the IDT limit is #GP, whose delivery fails the same way (#DF), whose delivery fails again: shutdown
    /// (SDM vol.3 §20.1.4 and §7.15, interrupt 8). <paramref name="int3Offset"/> is INT3's offset from 7C00h.
    /// </summary>
    public static string PrintThenTripleFault(string text, out ushort int3Offset)
    {
        string path = CliHarness.FlatKernel(a =>
        {
            CliHarness.Print(a, text);
            a.xor(ax, ax);
            a.push(ax); // a 6-byte IDTR image on the stack: limit 0, base 0
            a.push(ax);
            a.push(ax);
            a.mov(bx, sp);
            a.mov(eax, 0x1234_5678); // a recognisable EAX for the register dump
            a.lidt(__fword_ptr[bx]);
            a.int3();
            CliHarness.SpinForever(a);
        });
        // Print is mov dx,imm16 (3 bytes) and mov al,imm8 + out dx,al (3 bytes) per character; then xor ax,ax (2),
        // three push ax (3), mov bx,sp (2), mov eax,imm32 with a 66h prefix (6), lidt [bx] (0F 01 1F: 3); INT3 follows.
        int3Offset = (ushort)(3 + 3 * text.Length + 2 + 3 + 2 + 6 + 3);
        return path;
    }
}
