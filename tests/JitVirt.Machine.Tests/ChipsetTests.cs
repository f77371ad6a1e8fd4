using JitVirt.Machine.Devices.Debug;
using JitVirt.Machine.Devices.Keyboard;
using JitVirt.Machine.Devices.SystemControl;
using JitVirt.Machine.Devices.TestDev;

namespace JitVirt.Machine.Tests;

public class ChipsetTests
{
    private int _resets;
    private readonly List<bool> _a20 = [];

    private I8042Controller NewKeyboardController(RecordingLine? irq = null) =>
        new(irq ?? new RecordingLine(), () => _resets++, _a20.Add);

    [Fact]
    public void I8042SelfTestAndInterfaceTest()
    {
        var kbc = NewKeyboardController();
        kbc.WritePort(0x64, 1, 0xAA);
        Assert.Equal(0x01u, kbc.ReadPort(0x64, 1) & 0x01); // OBF
        Assert.Equal(0x55u, kbc.ReadPort(0x60, 1));
        Assert.Equal(0x00u, kbc.ReadPort(0x64, 1) & 0x01);
        Assert.Equal(0x04u, kbc.ReadPort(0x64, 1) & 0x04); // system flag after self-test
        kbc.WritePort(0x64, 1, 0xAB);
        Assert.Equal(0x00u, kbc.ReadPort(0x60, 1));
    }

    [Fact]
    public void I8042CommandByteReadWriteAndKeyboardIrq()
    {
        var irq = new RecordingLine();
        var kbc = NewKeyboardController(irq);
        kbc.WritePort(0x64, 1, 0x60);
        kbc.WritePort(0x60, 1, 0x00); // interrupts off
        kbc.WritePort(0x64, 1, 0x20);
        Assert.Equal(0x00u, kbc.ReadPort(0x60, 1));
        kbc.WritePort(0x64, 1, 0x60);
        kbc.WritePort(0x60, 1, 0x45);
        kbc.WritePort(0x64, 1, 0x20);
        Assert.True(irq.Level); // OBF with command byte bit 0
        Assert.Equal(0x45u, kbc.ReadPort(0x60, 1));
        Assert.False(irq.Level);
    }

    [Fact]
    public void I8042KeyboardResetAnswersAckAndBat()
    {
        var kbc = NewKeyboardController();
        kbc.WritePort(0x60, 1, 0xFF);
        Assert.Equal(0xFAu, kbc.ReadPort(0x60, 1));
        Assert.Equal(0xAAu, kbc.ReadPort(0x60, 1));
    }

    [Fact]
    public void I8042EveryByteOfAMultiByteAnswerRaisesItsOwnInterrupt()
    {
        // READ ID (F2h) answers ACK FAh, then the MF2 ID ABh 83h. IRQ1 is edge-triggered at the 8259, so each
        // byte needs a rising edge of its own, as when the 8042 refills its one-byte output buffer.
        var irq = new RecordingLine();
        var kbc = NewKeyboardController(irq); // power-on command byte: keyboard interrupt enabled
        kbc.WritePort(0x60, 1, 0xF2);
        Assert.True(irq.Level);
        Assert.Equal(1, irq.RisingEdges);
        Assert.Equal(0xFAu, kbc.ReadPort(0x60, 1));
        Assert.True(irq.Level);
        Assert.Equal(2, irq.RisingEdges);
        Assert.Equal(0xABu, kbc.ReadPort(0x60, 1));
        Assert.Equal(3, irq.RisingEdges);
        Assert.Equal(0x01u, kbc.ReadPort(0x64, 1) & 0x01); // OBF: the last byte is waiting
        Assert.Equal(0x83u, kbc.ReadPort(0x60, 1));
        Assert.False(irq.Level);
        Assert.Equal(3, irq.RisingEdges);
        Assert.Equal(0x00u, kbc.ReadPort(0x64, 1) & 0x01);
    }

    [Fact]
    public void I8042AuxLoopBackIsFlaggedInStatusBit5AndInterruptsOnIrq12Only()
    {
        // Linux's i8042_check_aux: loop-back (D3h) of 5Ah with AUX interrupts off, then of A5h with command
        // byte bit 1 (AUX interrupt) on, expecting IRQ 12 and status bit 5 (data from the auxiliary device).
        var irq1 = new RecordingLine();
        var irq12 = new RecordingLine();
        var kbc = new I8042Controller(irq1, () => _resets++, _a20.Add, irq12);
        kbc.WritePort(0x64, 1, 0xD3);
        kbc.WritePort(0x60, 1, 0x5A);
        Assert.Equal(0x21u, kbc.ReadPort(0x64, 1) & 0x21); // OBF and AUX data
        Assert.False(irq12.Level);
        Assert.False(irq1.Level);
        Assert.Equal(0x5Au, kbc.ReadPort(0x60, 1));
        Assert.Equal(0x00u, kbc.ReadPort(0x64, 1) & 0x21);

        kbc.WritePort(0x64, 1, 0x60);
        kbc.WritePort(0x60, 1, 0x03); // keyboard and AUX interrupts on
        kbc.WritePort(0x64, 1, 0xD3);
        kbc.WritePort(0x60, 1, 0xA5);
        Assert.True(irq12.Level);
        Assert.False(irq1.Level);
        Assert.Equal(0xA5u, kbc.ReadPort(0x60, 1));
        Assert.False(irq12.Level);

        kbc.WritePort(0x64, 1, 0x20); // a controller answer is keyboard-side data: IRQ 1, bit 5 clear
        Assert.Equal(0x01u, kbc.ReadPort(0x64, 1) & 0x21);
        Assert.True(irq1.Level);
        Assert.False(irq12.Level);
    }

    [Fact]
    public void I8042AuxInterfaceTestPassesAndEnableDisableToggleCommandByteBit5()
    {
        var kbc = NewKeyboardController();
        kbc.WritePort(0x64, 1, 0xA9);
        Assert.Equal(0x00u, kbc.ReadPort(0x60, 1)); // no clock or data line error
        kbc.WritePort(0x64, 1, 0xA7);
        kbc.WritePort(0x64, 1, 0x20);
        Assert.Equal(0x20u, kbc.ReadPort(0x60, 1) & 0x20);
        kbc.WritePort(0x64, 1, 0xA8);
        kbc.WritePort(0x64, 1, 0x20);
        Assert.Equal(0x00u, kbc.ReadPort(0x60, 1) & 0x20);
    }

    [Fact]
    public void I8042PulseResetAndOutputPort()
    {
        var kbc = NewKeyboardController();
        kbc.WritePort(0x64, 1, 0xFF); // pulse nothing
        Assert.Equal(0, _resets);
        kbc.WritePort(0x64, 1, 0xFE); // pulse bit 0 = CPU reset
        Assert.Equal(1, _resets);
        kbc.WritePort(0x64, 1, 0xD1);
        kbc.WritePort(0x60, 1, 0xDD); // A20 off, reset high
        Assert.Equal([false], _a20);
        Assert.Equal(1, _resets);
        kbc.WritePort(0x64, 1, 0xD1);
        kbc.WritePort(0x60, 1, 0xDE); // reset line driven low
        Assert.Equal(2, _resets);
    }

    [Fact]
    public void Port92FastResetOnRisingBit0AndA20Report()
    {
        var portA = new SystemControlPortA(() => _resets++, _a20.Add);
        Assert.Equal(0x02u, portA.ReadPort(0x92, 1));
        portA.WritePort(0x92, 1, 0x00);
        Assert.Equal([false], _a20);
        portA.WritePort(0x92, 1, 0x03);
        Assert.Equal([false, true], _a20);
        Assert.Equal(1, _resets);
        portA.WritePort(0x92, 1, 0x03); // no new transition
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void ResetControlRegisterResetsOnRstCpuRisingEdge()
    {
        var requests = new List<bool>();
        var rc = new ResetControlRegister(requests.Add);
        rc.WritePort(0xCF9, 1, 0x02); // SYS_RST alone: nothing yet
        Assert.Empty(requests);
        rc.WritePort(0xCF9, 1, 0x06); // RST_CPU with SYS_RST: hard reset
        Assert.Equal([true], requests);
    }

    [Theory]
    [InlineData(0x00u, 1)]
    [InlineData(0x31u, 0x63)]
    [InlineData(0x01u, 3)]
    public void DebugExitStatusIsValueShiftedOrOne(uint value, int expected)
    {
        int status = -1;
        var exit = new IsaDebugExit(s => status = s);
        exit.WritePort(0xF4, 4, value);
        Assert.Equal(expected, status);
    }

    [Fact]
    public void BochsConsoleWritesBytesAndReadsE9()
    {
        var output = new List<byte>();
        var console = new BochsDebugConsole(output.Add);
        console.WritePort(0xE9, 1, 'H');
        console.WritePort(0xE9, 1, 'i');
        Assert.Equal("Hi"u8.ToArray(), output);
        Assert.Equal(0xE9u, console.ReadPort(0xE9, 1));
    }

    [Fact]
    public void PcTestDevScratchRegisterByteLanes()
    {
        var dev = new PcTestDev([], _ => { });
        dev.WritePort(0xE0, 4, 0x12345678);
        Assert.Equal(0x34u, dev.ReadPort(0xE2, 1));
        Assert.Equal(0x1234u, dev.ReadPort(0xE2, 2));
        dev.WritePort(0xE1, 1, 0xAB);
        Assert.Equal(0x1234AB78u, dev.ReadPort(0xE0, 4));
        dev.WritePort(0xE0, 2, 0xCDEF);
        Assert.Equal(0x1234CDEFu, dev.ReadPort(0xE0, 4));
    }

    [Fact]
    public void PcTestDevDrivesIrqLinesAndReportsFlush()
    {
        var lines = new RecordingLine[24];
        for (int i = 0; i < lines.Length; i++) lines[i] = new RecordingLine();
        uint flushed = 0;
        var dev = new PcTestDev(lines, v => flushed = v);
        dev.WritePort(0x2005, 1, 1);
        Assert.True(lines[5].Level);
        dev.WritePort(0x2005, 1, 0);
        Assert.False(lines[5].Level);
        dev.WritePort(0x2017, 1, 0x80);
        Assert.True(lines[23].Level);
        dev.WritePort(0xE4, 4, 0x0012_3000);
        Assert.Equal(0x0012_3000u, flushed);
    }
}
