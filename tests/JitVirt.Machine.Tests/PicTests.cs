using JitVirt.Machine.Devices.Pic;

namespace JitVirt.Machine.Tests;

public class PicTests
{
    private readonly Pic8259Pair _pic = new();

    private void Out(ushort port, byte value) => _pic.WritePort(port, 1, value);
    private byte In(ushort port) => (byte)_pic.ReadPort(port, 1);

    /// <summary>The PC/AT initialisation sequence: ICW1 edge/cascade/ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086 mode.</summary>
    private void Initialize(byte icw4 = 0x01)
    {
        Out(0x20, 0x11); Out(0x21, 0x08); Out(0x21, 0x04); Out(0x21, icw4);
        Out(0xA0, 0x11); Out(0xA1, 0x70); Out(0xA1, 0x02); Out(0xA1, icw4);
    }

    private void Pulse(int irq)
    {
        _pic.GetLine(irq).SetLevel(true);
        _pic.GetLine(irq).SetLevel(false);
        _pic.GetLine(irq).SetLevel(true);
    }

    private byte ReadMasterIsr()
    {
        Out(0x20, 0x0B); // OCW3: read ISR
        byte isr = In(0x20);
        Out(0x20, 0x0A); // back to IRR
        return isr;
    }

    [Fact]
    public void AcknowledgeReturnsVectorAndSetsIsr()
    {
        Initialize();
        var edges = new List<bool>();
        _pic.IntOutputChanged += edges.Add;
        _pic.GetLine(0).SetLevel(true);
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x08, _pic.Acknowledge());
        Assert.Equal(0x01, ReadMasterIsr());
        Assert.False(_pic.HasInterrupt);
        Assert.Equal([true, false], edges);
    }

    [Fact]
    public void SlaveInterruptArrivesThroughCascade()
    {
        Initialize();
        _pic.GetLine(10).SetLevel(true);
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x72, _pic.Acknowledge());
        Assert.Equal(0x04, ReadMasterIsr()); // master IR2 in service too
    }

    [Fact]
    public void MaskedRequestDoesNotInterrupt()
    {
        Initialize();
        Out(0x21, 0x02);
        Assert.Equal(0x02, In(0x21));
        _pic.GetLine(1).SetLevel(true);
        Assert.False(_pic.HasInterrupt);
        Out(0x21, 0x00);
        Assert.True(_pic.HasInterrupt);
    }

    [Fact]
    public void WithdrawnRequestGivesSpuriousIrq7WithoutIsr()
    {
        Initialize();
        _pic.GetLine(3).SetLevel(true);
        Assert.True(_pic.HasInterrupt);
        _pic.GetLine(3).SetLevel(false); // removed before INTA
        Assert.Equal(0x0F, _pic.Acknowledge()); // vector of IR7
        Assert.Equal(0x00, ReadMasterIsr());
    }

    [Fact]
    public void HigherPriorityNestsAndSpecificEoiClearsOnlyItsLevel()
    {
        Initialize();
        _pic.GetLine(1).SetLevel(true);
        Assert.Equal(0x09, _pic.Acknowledge());
        _pic.GetLine(3).SetLevel(true);
        Assert.False(_pic.HasInterrupt); // IR3 is below IR1 in service
        _pic.GetLine(0).SetLevel(true);
        Assert.True(_pic.HasInterrupt); // IR0 outranks IR1
        Assert.Equal(0x08, _pic.Acknowledge());
        Assert.Equal(0x03, ReadMasterIsr());
        Out(0x20, 0x61); // specific EOI for level 1
        Assert.Equal(0x01, ReadMasterIsr());
        Assert.False(_pic.HasInterrupt); // IR3 still blocked by IR0
        Out(0x20, 0x20); // non-specific EOI clears IR0
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x0B, _pic.Acknowledge());
    }

    [Fact]
    public void SetPriorityAndRotateOnEoiChangeTheOrder()
    {
        Initialize();
        Out(0x20, 0xC3); // set priority: IR3 lowest, so IR4 highest
        _pic.GetLine(1).SetLevel(true);
        _pic.GetLine(5).SetLevel(true);
        Assert.Equal(0x0D, _pic.Acknowledge()); // IR5 before IR1
        Out(0x20, 0xA0); // rotate on non-specific EOI: IR5 becomes lowest
        _pic.GetLine(6).SetLevel(true);
        Assert.Equal(0x0E, _pic.Acknowledge()); // IR6 now highest
        Out(0x20, 0xE6); // rotate on specific EOI 6: IR6 lowest
        Pulse(5);
        Assert.Equal(0x09, _pic.Acknowledge()); // order 7,0,1,...: IR1 ahead of IR5
    }

    [Fact]
    public void PollCommandReturnsLevelAndActsAsAcknowledge()
    {
        Initialize();
        Out(0x20, 0x0C); // OCW3 poll
        Assert.Equal(0x00, In(0x20)); // I = 0: nothing pending
        _pic.GetLine(3).SetLevel(true);
        Out(0x20, 0x0C);
        Assert.Equal(0x83, In(0x20));
        Assert.Equal(0x08, ReadMasterIsr());
        Assert.Equal(0x00, In(0x20)); // poll applies to one read only; IRR now clear (edge consumed)
    }

    [Fact]
    public void ElcrSelectsLevelModeAndKeepsReservedBitsZero()
    {
        Initialize();
        _pic.WritePort(0x4D0, 1, 0xFF);
        Assert.Equal(0xF8, In(0x4D0)); // IRQ0-2 must stay edge
        _pic.WritePort(0x4D1, 1, 0xFF);
        Assert.Equal(0xDE, In(0x4D1)); // IRQ8 and IRQ13 must stay edge
        _pic.WritePort(0x4D1, 1, 0x04); // IRQ10 level
        _pic.GetLine(10).SetLevel(true);
        Assert.Equal(0x72, _pic.Acknowledge());
        Out(0xA0, 0x20); Out(0x20, 0x20);
        Assert.True(_pic.HasInterrupt); // still asserted: level mode requests again
        Assert.Equal(0x72, _pic.Acknowledge());
        Out(0xA0, 0x20); Out(0x20, 0x20);
        _pic.GetLine(10).SetLevel(false);
        Assert.False(_pic.HasInterrupt);
    }

    [Fact]
    public void EdgeModeDoesNotRefireWhileLineStaysHigh()
    {
        Initialize();
        _pic.GetLine(4).SetLevel(true);
        Assert.Equal(0x0C, _pic.Acknowledge());
        Out(0x20, 0x20);
        Assert.False(_pic.HasInterrupt);
    }

    [Fact]
    public void AutoEoiLeavesIsrClear()
    {
        Initialize(icw4: 0x03);
        _pic.GetLine(1).SetLevel(true);
        Assert.Equal(0x09, _pic.Acknowledge());
        Assert.Equal(0x00, ReadMasterIsr());
    }

    [Fact]
    public void SpecialMaskModeLetsLowerPrioritiesThrough()
    {
        Initialize();
        _pic.GetLine(1).SetLevel(true);
        _pic.Acknowledge();
        Out(0x21, 0x02); // mask the level in service
        _pic.GetLine(5).SetLevel(true);
        Assert.False(_pic.HasInterrupt);
        Out(0x20, 0x68); // OCW3: ESMM + SMM
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x0D, _pic.Acknowledge());
    }

    [Fact]
    public void Icw1ClearsMaskAndRequiresNewEdge()
    {
        Initialize();
        Out(0x21, 0xFF);
        _pic.GetLine(3).SetLevel(true);
        Initialize();
        Assert.Equal(0x00, In(0x21));
        Assert.False(_pic.HasInterrupt); // edge sense reset
    }
}
