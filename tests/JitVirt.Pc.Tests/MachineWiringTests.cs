using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Firmware;
using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>The machine's buses, exits and interrupt routing, driven by direct calls (no guest code).</summary>
public class MachineWiringTests
{
    [Theory]
    [InlineData(1, 0xFFu)]
    [InlineData(2, 0xFFFFu)]
    [InlineData(4, 0xFFFF_FFFFu)]
    public void UnassignedPortsReadAllOnes(int size, uint expected)
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        Assert.Equal(expected, m.Cpu.Io.In(0x1234, size));
        Assert.Equal(expected, m.Cpu.Io.In(0x80, size)); // POST port: nothing answers
    }

    [Fact]
    public void AssignedPortsReachTheirDevices()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Cpu.Io.Out(0x3F8 + 7, 1, 0x5A); // UART scratch register (PC16550D Table II)
        Assert.Equal(0x5Au, m.Cpu.Io.In(0x3F8 + 7, 1));
        m.Cpu.Io.Out(0xCF8, 4, 0x8000_0000); // bus 0, device 0, function 0, register 0
        Assert.Equal(0x1237_8086u, m.Cpu.Io.In(0xCFC, 4)); // i440FX host bridge vendor/device
        m.Cpu.Io.Out(0x510, 2, 0x0000); // fw_cfg signature
        Assert.Equal((uint)'Q', m.Cpu.Io.In(0x511, 1));
    }

    [Fact]
    public void DebugExitWriteEndsTheRunWithQemuStatus()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Cpu.Io.Out(0xF4, 1, 0x20);
        var result = m.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal((0x20 << 1) | 1, result.ExitStatus);
    }

    [Fact]
    public void DebugExitHonoursIobaseAndIosize()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial, tweak: c => c with { DebugExit = new DebugExitConfig(0x501, 2) });
        Assert.Equal(0xFFu, m.Cpu.Io.In(0xF4, 1)); // the default port is now unassigned
        m.Cpu.Io.Out(0x502, 1, 3);
        var result = m.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(7, result.ExitStatus);
    }

    [Fact]
    public void AcpiSoftOffPowersTheMachineOff()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        // PM1a_CNT (600h + 4): SLP_TYP = S5 (bits 12:10), SLP_EN (bit 13) — ACPI 6.x §4.8.4.2.1.
        m.Cpu.Io.Out(0x604, 2, (5u << 10) | (1u << 13));
        Assert.Equal(RunOutcome.PowerOff, m.Run(timeout: TimeSpan.FromSeconds(10)).Outcome);
    }

    [Theory]
    [InlineData(0xCF9, 0x06u)] // PIIX RC: SYS_RST | RST_CPU
    [InlineData(0x92, 0x03u)]  // port 92h fast reset, A20 kept on
    [InlineData(0x64, 0xFEu)]  // i8042 pulse output port bit 0 (reset)
    public void ResetRequestsEndTheRunUnderNoReboot(int port, uint value)
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Cpu.Io.Out((ushort)port, 1, value);
        Assert.Equal(RunOutcome.Reset, m.Run(timeout: TimeSpan.FromSeconds(10)).Outcome);
    }

    [Fact]
    public void A20FollowsEitherGateSource()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        Assert.True(m.Cpu.A20Enabled);
        m.Cpu.Io.Out(0x92, 1, 0x00); // port 92h A20 off; the i8042 still has it on
        Assert.True(m.Cpu.A20Enabled);
        m.Cpu.Io.Out(0x64, 1, 0xD1); // i8042: write output port
        m.Cpu.Io.Out(0x60, 1, 0x01); // reset line inactive, A20 off
        Assert.False(m.Cpu.A20Enabled);
        m.Cpu.Io.Out(0x92, 1, 0x02);
        Assert.True(m.Cpu.A20Enabled);
    }

    [Fact]
    public void PicReachesIntrUntilTheApicIsSoftwareEnabledWithoutExtInt()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        // ICW1-4: vectors 08h-0Fh, cascade on IR2, 8086 mode; unmask IRQ3 only.
        foreach (var (port, value) in new (ushort, uint)[] { (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0xF7) })
            m.Cpu.Io.Out(port, 1, value);
        m.GetIrqLine(3).SetLevel(true);
        Assert.True(m.Interrupts.HasPendingInterrupt); // APIC software-disabled: the PIC drives INTR

        m.LocalApic.WriteMmio(ApicRegister.SpuriousInterruptVector, 4, 0x1FF); // software-enable, LINT0 still masked
        Assert.False(m.Interrupts.HasPendingInterrupt);

        LocalApicVirtualWire.Program(m.LocalApic); // LINT0 = ExtINT: virtual wire
        Assert.True(m.Interrupts.HasPendingInterrupt);
        Assert.Equal(0x0B, m.Interrupts.AcknowledgeInterrupt());
    }

    [Fact]
    public void ApicVectorsAreDeliveredWhenSoftwareEnabled()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.LocalApic.WriteMmio(ApicRegister.SpuriousInterruptVector, 4, 0x1FF);
        m.LocalApic.AcceptInterrupt(0x41, levelTriggered: false);
        Assert.True(m.Interrupts.HasPendingInterrupt);
        Assert.Equal(0x41, m.Interrupts.AcknowledgeInterrupt());
        Assert.False(m.Interrupts.HasPendingInterrupt);
    }

    [Fact]
    public void FirmwareTablesAreInRamAtBoot()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        var rsdp = m.Memory.RamSpan(m.AcpiTables.Rsdp, 8);
        Assert.Equal("RSD PTR "u8.ToArray(), rsdp.ToArray());
        Assert.InRange(m.AcpiTables.Rsdp, 0xE0000ul, 0xFFFFFul);
        Assert.Contains(m.MemoryMap, e => e.Type == E820Type.Ram && e.Base == 0x100000);
        m.Cpu.Io.Out(0x510, 2, 0x0003); // fw_cfg RAM size
        ulong ram = 0;
        for (int i = 0; i < 8; i++) ram |= (ulong)m.Cpu.Io.In(0x511, 1) << (8 * i);
        Assert.Equal(16ul << 20, ram);
    }

    [Fact]
    public void HaltWithInterruptsDisabledEndsAsHalted()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Cpu.Halted = true; // as after CLI; HLT
        var result = m.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.Halted, result.Outcome);
        Assert.Equal("interrupts are disabled", result.Message);
    }
}
