using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// The TLB probe keeps the tables and the generation in locals (TlbFastPath.EmitRefresh): a helper
/// in the middle of a region that remaps a page and flushes the TLB must make the next inline load
/// see the new mapping. Here an OUT (a helper) flips where the data page maps and flushes the TLB,
/// as a hypervisor or a device might; the loads before and after it alternate between two frames.
/// </summary>
public sealed class TlbRefreshTests
{
    const ulong FrameA = BareMetal.DataAddress, FrameB = BareMetal.DataAddress + 0x1000;
    const ushort FlipPort = 0x80;

    static void Program(Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(rsi, (long)FrameA);
        a.mov(ecx, 50);
        a.xor(r8d, r8d);
        a.Label(ref top);
        a.mov(rax, __qword_ptr[rsi]);   // inline load: frame A or B
        a.add(r8, rax);
        a.rol(r8, 3);
        a.@out((byte)FlipPort, al);     // helper: remaps the page and flushes the TLB
        a.mov(rax, __qword_ptr[rsi]);   // must read the other frame
        a.add(r8, rax);
        a.rol(r8, 5);
        a.dec(ecx);
        a.jnz(top);
        a.hlt();
    }

    [Fact]
    public void A_load_after_a_helper_that_flushed_the_TLB_uses_the_new_mapping()
    {
        using var run = new Lockstep(Program, () => new FlippingTranslator());
        foreach (var machine in new[] { run.Reference, run.Tiered })
        {
            machine.Memory.WriteBytes(FrameA, BitConverter.GetBytes(0x11ul));
            machine.Memory.WriteBytes(FrameB, BitConverter.GetBytes(0x2200ul));
            machine.Cpu.Io = new FlipPortDevice(machine.Cpu);
        }
        Assert.Equal(StopReason.Halted, run.RunChunks(100, 1000));
        Assert.True(run.Executor.CompiledBlockRuns > 0, "the loop ran compiled");
        // Independent of both tiers: 50 rounds of "load A, flip, load B" then "load B, flip, load A".
        ulong r8 = 0;
        bool onA = true;
        for (int k = 0; k < 50; k++)
        {
            r8 = ulong.RotateLeft(r8 + (onA ? 0x11ul : 0x2200ul), 3);
            onA = !onA;
            r8 = ulong.RotateLeft(r8 + (onA ? 0x11ul : 0x2200ul), 5);
        }
        Assert.Equal(r8, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.R8]);
    }

    /// <summary>Identity, except that the data page maps to frame B while <see cref="Flipped"/>.</summary>
    sealed class FlippingTranslator : IAddressTranslator
    {
        public bool Flipped;

        public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
        {
            physical = Flipped && linear - FrameA < 0x1000 ? FrameB + (linear - FrameA) : linear;
            pageFaultErrorCode = 0;
            return true;
        }

        public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
    }

    sealed class FlipPortDevice(JitVirt.Cpu.Cpu cpu) : IPortIo
    {
        public uint In(ushort port, int size) => 0;

        public void Out(ushort port, int size, uint value)
        {
            if (port != FlipPort) return;
            var translator = (FlippingTranslator)cpu.Translator;
            translator.Flipped = !translator.Flipped;
            cpu.FlushTlb();
        }
    }
}
