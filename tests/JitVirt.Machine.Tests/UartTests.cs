using JitVirt.Machine.Devices.Serial;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Tests;

public class UartTests
{
    private const ushort Base = 0x3F8;
    private const ushort Rbr = Base, Ier = Base + 1, Iir = Base + 2, Fcr = Base + 2, Lcr = Base + 3, Mcr = Base + 4, Lsr = Base + 5, Msr = Base + 6, Scr = Base + 7;

    private readonly ManualClock _clock = new();
    private readonly TimerQueue _timers = new();
    private readonly RecordingLine _irq = new();
    private readonly List<byte> _sent = [];
    private readonly Uart16550 _uart;

    public UartTests() => _uart = new Uart16550(_irq, _sent.Add, _clock, _timers);

    private byte In(ushort port) => (byte)_uart.ReadPort(port, 1);
    private void Out(ushort port, byte value) => _uart.WritePort(port, 1, value);

    [Fact]
    public void ResetValuesMatchTheDatasheet()
    {
        Assert.Equal(0x01, In(Iir)); // no interrupt pending
        Assert.Equal(0x60, In(Lsr)); // THRE | TEMT
        Assert.Equal(0x00, In(Ier));
        Assert.Equal(0x00, In(Mcr));
    }

    [Fact]
    public void DlabSwitchesOffsetsZeroAndOneToTheDivisorLatch()
    {
        Out(Ier, 0x0F);
        Out(Lcr, 0x83); // DLAB + 8 data bits
        Out(Rbr, 0x01);
        Out(Ier, 0x00); // DLM
        Assert.Equal(0x01, In(Rbr));
        Assert.Equal(0x00, In(Ier));
        Assert.Equal(1, _uart.State.Divisor);
        Assert.Empty(_sent); // writing DLL did not transmit
        Out(Lcr, 0x03);
        Assert.Equal(0x0F, In(Ier)); // IER survived the divisor access
        Out(Rbr, (byte)'x');
        Assert.Equal([(byte)'x'], _sent);
    }

    [Fact]
    public void ScratchRegisterHoldsAByte()
    {
        Out(Scr, 0x5A);
        Assert.Equal(0x5A, In(Scr));
    }

    [Fact]
    public void LoopbackRoutesTransmitToReceiveAndNotTheSink()
    {
        Out(Mcr, 0x10);
        Out(Rbr, 0x42);
        Assert.Empty(_sent);
        Assert.Equal(0x61, In(Lsr)); // DR | THRE | TEMT
        Assert.Equal(0x42, In(Rbr));
        Assert.Equal(0x60, In(Lsr));
    }

    [Fact]
    public void LoopbackRoutesModemOutputsToModemInputsWithDeltas()
    {
        Out(Mcr, 0x10); // loop, all outputs inactive
        In(Msr); // clear deltas from leaving the external inputs
        Out(Mcr, 0x1F); // DTR RTS OUT1 OUT2 in loop
        Assert.Equal(0xF0 | 0x0B, In(Msr)); // CTS DSR RI DCD + DCTS DDSR DDCD (TERI only on RI trailing edge)
        Assert.Equal(0xF0, In(Msr)); // deltas cleared by the read
        Out(Mcr, 0x1B); // OUT1 (RI) goes inactive
        Assert.Equal(0xB0 | 0x04, In(Msr)); // TERI
    }

    [Fact]
    public void ThreInterruptIsArmedByEnablingClearedByIirReadAndRearmedByThrWrite()
    {
        Out(Mcr, 0x08); // OUT2 gates INTR onto IRQ4
        Out(Ier, 0x02);
        Assert.True(_irq.Level);
        Assert.Equal(0x02, In(Iir));
        Assert.Equal(0x01, In(Iir)); // reading IIR while THRE is the source cleared it
        Assert.False(_irq.Level);
        Out(Rbr, (byte)'a'); // THR empties again after transmission
        Assert.True(_irq.Level);
        Assert.Equal(0x02, In(Iir));
        Out(Ier, 0x00);
        Out(Ier, 0x02); // re-enabling ETBEI with THR empty re-arms
        Assert.Equal(0x02, In(Iir));
    }

    [Fact]
    public void IrqLineIsGatedByOut2()
    {
        Out(Ier, 0x02);
        Assert.True(_uart.InterruptPending);
        Assert.False(_irq.Level);
        Out(Mcr, 0x08);
        Assert.True(_irq.Level);
    }

    [Fact]
    public void InterruptPrioritiesFollowTableIV()
    {
        Out(Ier, 0x0F);
        _uart.SetModemInputs(0x30); // DCD drops: modem status pending
        Assert.Equal(0x02, In(Iir)); // THRE outranks modem status (and is cleared by this read)
        Assert.Equal(0x00, In(Iir)); // modem status
        _uart.EnqueueInput(1);
        Assert.Equal(0x04, In(Iir)); // received data outranks modem status
        _uart.EnqueueInput(2); // 16450 mode: overrun
        Assert.Equal(0x06, In(Iir)); // line status is highest
        Assert.Equal(0x03, In(Lsr) & 0x03); // DR | OE
        Assert.Equal(0x04, In(Iir)); // LSR read cleared OE
        Assert.Equal(2, In(Rbr)); // 16450 overrun destroyed the unread character
    }

    [Fact]
    public void FifoModeRaisesDataInterruptAtTriggerLevel()
    {
        Out(Fcr, 0xC1); // enable, trigger 14
        Out(Ier, 0x01);
        Assert.Equal(0xC1, In(Iir)); // FIFOs-enabled bits, nothing pending
        for (int i = 0; i < 13; i++) _uart.EnqueueInput((byte)i);
        Assert.Equal(0xC1, In(Iir));
        _uart.EnqueueInput(13);
        Assert.Equal(0xC4, In(Iir));
        Assert.Equal(0, In(Rbr)); // first in, first out
        Assert.Equal(0xC1, In(Iir)); // 13 left: below trigger
    }

    [Fact]
    public void FifoOverrunKeepsFifoContents()
    {
        Out(Fcr, 0x01);
        for (int i = 0; i < 17; i++) _uart.EnqueueInput((byte)i);
        Assert.Equal(0x02, In(Lsr) & 0x02);
        Assert.Equal(0, In(Rbr));
    }

    [Fact]
    public void CharacterTimeoutAfterFourCharacterTimes()
    {
        Out(Lcr, 0x83);
        Out(Rbr, 1); // 115200 baud: 10 bits per character at 8N1 = 86.8 us
        Out(Lcr, 0x03);
        Out(Fcr, 0xC1);
        Out(Ier, 0x01);
        _uart.EnqueueInput(0x55);
        long characterNs = 10L * 16 * 1_000_000_000 / 1_843_200;
        _clock.Advance(4 * characterNs - 1000);
        _timers.RunDue(_clock.NowNanoseconds);
        Assert.Equal(0xC1, In(Iir));
        _clock.Advance(1000);
        _timers.RunDue(_clock.NowNanoseconds);
        Assert.Equal(0xCC, In(Iir));
        Assert.Equal(0x55, In(Rbr));
        Assert.Equal(0xC1, In(Iir));
    }

    [Fact]
    public void FifoResetClearsReceiver()
    {
        Out(Fcr, 0x01);
        _uart.EnqueueInput(9);
        Out(Fcr, 0x03);
        Assert.Equal(0, In(Lsr) & 0x01);
    }
}
