using JitVirt.Cpu.Memory;
using JitVirt.Machine.Bus;
using JitVirt.Machine.Devices.Acpi;
using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Devices.Debug;
using JitVirt.Machine.Devices.FwCfg;
using JitVirt.Machine.Devices.IoApic;
using JitVirt.Machine.Devices.Keyboard;
using JitVirt.Machine.Devices.Pci;
using JitVirt.Machine.Devices.Pic;
using JitVirt.Machine.Devices.Pit;
using JitVirt.Machine.Devices.Rtc;
using JitVirt.Machine.Devices.Serial;
using JitVirt.Machine.Devices.SystemControl;
using JitVirt.Machine.Devices.TestDev;
using JitVirt.Machine.Firmware;
using JitVirt.Machine.Time;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;

namespace JitVirt.Machine.Pc;

/// <summary>
/// A single-processor PC in the shape of QEMU's i440FX "pc" machine without a BIOS: RAM from 0, the
/// legacy devices at their IBM PC/AT addresses, a local APIC and an I/O APIC, PCI configuration
/// mechanism #1, ACPI fixed hardware at 600h, fw_cfg at 510h, and the optional test devices. It owns
/// the processor and runs it (<see cref="Run"/>) between timer deadlines. Construction is split over
/// <c>PcMachine.*.cs</c>: wiring here, the run loop and firmware tables beside it.
/// </summary>
public sealed partial class PcMachine : IDisposable
{
    /// <summary>PCI slot of the optional pci-testdev (0 is the host bridge, 1 the PIIX3 ISA bridge).</summary>
    public const int PciTestDevSlot = 3;
    private const int Piix3Slot = 1;
    private const ushort ProcessorCount = 1;
    /// <summary>TSC and APIC timer base: 1 GHz, so one TSC tick is one virtual nanosecond.</summary>
    public const long TscFrequencyHz = 1_000_000_000;

    private readonly A20Gate _a20;
    private readonly IsaIrqLine[] _gsiLines = new IsaIrqLine[IoApicRegister.PinCount];
    private MachineStop _stop;
    private int _exitStatus;
    private ulong _localApicBase = ApicBaseMsr.DefaultBase;
    private ushort _pciTestDevIoBase;
    private ulong _pciTestDevMemoryBase;
    private bool _disposed;

    public PcMachine(MachineConfig config, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.RamBytes < MachineConfig.MinimumRamBytes || (config.RamBytes & 0xFFF) != 0)
            throw new ArgumentOutOfRangeException(nameof(config), $"RAM must be a multiple of 4 KiB and at least {MachineConfig.MinimumRamBytes >> 20} MiB");
        if (config.RamBytes > E820MemoryMapBuilder.DefaultPciHoleStart)
            throw new ArgumentOutOfRangeException(nameof(config), "RAM above the 32-bit PCI hole (3.5 GiB) is not supported yet");
        Config = config;

        Memory = new PhysicalMemory(config.RamBytes);
        Cpu = new JitVirt.Cpu.Cpu(Memory, CreateTranslator(config.Translator, Memory), new PortIoAdapter(Ports));
        Memory.Mmio = new MmioAdapter(Mmio);
        Vcpu = vcpuFactory?.Invoke(Cpu) ?? new InterpreterVcpu(Cpu);
        _instructionClock = config.Deterministic ? new InstructionClock(Cpu) : null;
        _hostClock = config.Deterministic ? null : new HostClock();
        Clock = (IVirtualClock?)_instructionClock ?? _hostClock!;
        _a20 = new A20Gate(Cpu);

        SerialOutput = GuestOutput.Open(config.Serial);
        if (config.DebugConsole is { } debugConsole)
            DebugConsoleOutput = debugConsole.Equals(config.Serial)
                ? SerialOutput // one writer for one destination keeps the two consoles' bytes in order
                : GuestOutput.Open(debugConsole);

        // Interrupt controllers (SDM vol.3 ch.11; 82093AA datasheet) and the ISA wires into them.
        LocalApic = new LocalApic(Clock, new TimerQueueScheduler(Timers), TscFrequencyHz);
        IoApic = new IoApic82093AA(LocalApic);
        LocalApic.EoiBroadcast = IoApic.OnEoiBroadcast;
        LocalApic.BaseRelocated = RelocateLocalApic;
        Interrupts = new PcInterruptRouter(Pic, LocalApic);
        Cpu.Interrupts = Interrupts;
        Pic.IntOutputChanged += OnPicOutputChanged;
        for (int gsi = 0; gsi < _gsiLines.Length; gsi++) _gsiLines[gsi] = new IsaIrqLine(gsi, Pic, IoApic, Cpu);
        Mmio.Register(_localApicBase, ApicRegister.PageSize, new InterruptCheckingMmio(LocalApic, Cpu));
        Mmio.Register(IoApicRegister.DefaultBase, IoApicRegister.PageSize, new InterruptCheckingMmio(IoApic, Cpu));
        MsrBridge = new ApicMsrBridge(LocalApic);

        // Legacy devices (IBM PC/AT Technical Reference I/O map; PIIX4 datasheet for 61h, 92h, 4D0h, CF9h).
        Pit = new Pit8254(_gsiLines[Pit8254.Irq], Clock, Timers);
        PortB = new SystemControlPortB(Pit, Clock);
        Keyboard = new I8042Controller(_gsiLines[I8042Controller.Irq], () => RequestStop(MachineStop.Reset), _a20.SetKeyboardController, _gsiLines[I8042Controller.AuxIrq]);
        Rtc = new Mc146818Rtc(_gsiLines[Mc146818Rtc.Irq], Clock, Timers);
        PortA = new SystemControlPortA(() => RequestStop(MachineStop.Reset), _a20.SetSystemControlPortA);
        ResetControl = new ResetControlRegister(_ => RequestStop(MachineStop.Reset));
        Com1 = new Uart16550(_gsiLines[Uart16550.Com1Irq], SerialOutput.Write, Clock, Timers);
        AcpiPm = new AcpiPmDevice(Clock, _gsiLines[_acpiPlatform.SciIrq]) { PowerOff = () => RequestStop(MachineStop.PowerOff) };
        FwCfg = new FwCfgDevice(config.RamBytes, ProcessorCount, ProcessorCount);
        PciConfig = new PciConfigMechanism1(PciBus);

        Ports.Register(Pic8259Pair.MasterCommandPort, 2, Pic);
        Ports.Register(Pic8259Pair.SlaveCommandPort, 2, Pic);
        Ports.Register(Pic8259Pair.ElcrMasterPort, 2, Pic);
        Ports.Register(Pit8254.BasePort, Pit8254.ChannelCount + 1, Pit);
        Ports.Register(I8042Controller.DataPort, 1, Keyboard);
        Ports.Register(I8042Controller.CommandPort, 1, Keyboard);
        Ports.Register(SystemControlPortB.Port, 1, PortB);
        Ports.Register(Mc146818Rtc.IndexPort, 2, Rtc);
        Ports.Register(SystemControlPortA.Port, 1, PortA);
        Ports.Register(Uart16550.Com1Base, 8, Com1);
        Ports.Register(PciConfigMechanism1.AddressPort, 1, PciConfig); // CF8h: CONFIG_ADDRESS, dword accesses
        Ports.Register(ResetControlRegister.Port, 1, ResetControl);
        Ports.Register(PciConfigMechanism1.DataPort, PciConfigMechanism1.DataPortCount, PciConfig);
        Ports.Register(AcpiPm.BasePort, AcpiPmRegisters.BlockLength, AcpiPm);
        Ports.Register(FwCfgDevice.SelectorPort, 2, FwCfg);

        // PCI: i440FX host bridge at 00.0, PIIX3 ISA bridge at 01.0 (QEMU's pc layout).
        PciBus.Attach(0, 0, new I440FxHostBridge());
        PciBus.Attach(Piix3Slot, 0, new Piix3IsaBridge());

        if (config.DebugExit is { } debugExit)
        {
            DebugExit = new IsaDebugExit(status => RequestStop(MachineStop.DebugExit, status), debugExit.IoBase, debugExit.IoSize);
            Ports.Register(debugExit.IoBase, debugExit.IoSize, DebugExit);
        }
        if (DebugConsoleOutput is not null)
            Ports.Register(BochsDebugConsole.Port, 1, new BochsDebugConsole(DebugConsoleOutput.Write));
        if (config.PcTestDev)
        {
            PcTestDev = new PcTestDev(_gsiLines, _ => Cpu.FlushTlb());
            Ports.Register(PcTestDev.ScratchPort, PcTestDev.LowRangeCount, PcTestDev);
            Ports.Register(PcTestDev.IrqLinePortBase, PcTestDev.IrqLineCount, PcTestDev);
        }
        if (config.PciTestDev)
        {
            PciTestDevice = new PciTestDevice { DecodingChanged = _ => RemapPciTestDevice() };
            PciBus.Attach(PciTestDevSlot, 0, PciTestDevice);
        }

        Rtc.SetMemorySize(config.RamBytes, 0);
        WireCpuHooks();
        Reset();
    }

    public MachineConfig Config { get; }
    public PhysicalMemory Memory { get; }
    public JitVirt.Cpu.Cpu Cpu { get; }
    public IVcpu Vcpu { get; }
    public PortIoBus Ports { get; } = new();
    public MmioBus Mmio { get; } = new();
    public TimerQueue Timers { get; } = new();
    public IVirtualClock Clock { get; }
    public PcInterruptRouter Interrupts { get; }
    public ApicMsrBridge MsrBridge { get; }

    public Pic8259Pair Pic { get; } = new();
    public Pit8254 Pit { get; }
    public SystemControlPortA PortA { get; }
    public SystemControlPortB PortB { get; }
    public ResetControlRegister ResetControl { get; }
    public I8042Controller Keyboard { get; }
    public Mc146818Rtc Rtc { get; }
    public Uart16550 Com1 { get; }
    public LocalApic LocalApic { get; }
    public IoApic82093AA IoApic { get; }
    public PciBus PciBus { get; } = new();
    public PciConfigMechanism1 PciConfig { get; }
    public AcpiPmDevice AcpiPm { get; }
    public FwCfgDevice FwCfg { get; }
    public IsaDebugExit? DebugExit { get; }
    public PcTestDev? PcTestDev { get; }
    public PciTestDevice? PciTestDevice { get; }

    public GuestOutput SerialOutput { get; }
    public GuestOutput? DebugConsoleOutput { get; }

    /// <summary>The image loaded at power-on and after each reboot; null runs from the reset vector (into open bus).</summary>
    public IBootImage? BootImage { get; private set; }

    /// <summary>How many times the guest rebooted the machine.</summary>
    public int ResetCount { get; private set; }

    /// <summary>ISA/GSI interrupt line <paramref name="gsi"/> (0-15 reach the PIC too; 0 is I/O APIC pin 2).</summary>
    public IsaIrqLine GetIrqLine(int gsi) => _gsiLines[gsi];

    private readonly InstructionClock? _instructionClock;
    private readonly HostClock? _hostClock;

    /// <summary>Loads <paramref name="image"/> into the machine (after a full reset) and remembers it for reboots.</summary>
    public void Boot(IBootImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        BootImage = image;
        Reset();
    }

    /// <summary>Latches an NMI from the host.</summary>
    public void RaiseNmi()
    {
        Interrupts.RaiseNmi();
        Cpu.Pending |= JitVirt.Cpu.PendingEvent.InterruptCheck;
    }

    /// <summary>The processor's linear-address translator: KVM's shadow MMU (default) or the direct walker.</summary>
    private static IAddressTranslator CreateTranslator(TranslatorKind kind, PhysicalMemory memory) => kind switch
    {
        TranslatorKind.Direct => new GuestPageWalker(),
        _ => new ShadowMmu(memory),
    };

    /// <summary>
    /// Platform reset: processor to its RESET state (SDM vol.3 §10.1.1), local APIC registers to power-up,
    /// firmware tables rewritten, BIOS PCI resources reassigned, the boot image re-entered. Departure: the
    /// legacy devices (PIC, PIT, UART, RTC) keep their programming; guests re-initialise them anyway.
    /// </summary>
    private void Reset()
    {
        Cpu.Reset();
        LocalApic.TryWriteApicBaseMsr(ApicBaseMsr.BootstrapResetValue);
        LocalApic.ResetRegisters();
        _a20.Apply();
        WriteFirmwareTables();
        // The tables were copied in behind the write protection: no shadow page may outlive the reset.
        (Cpu.Translator as ShadowMmu)?.FlushAll();
        BootImage?.Load(this);
        Vcpu?.OnReset();
    }

    /// <summary>
    /// Connects the core's MSR storage to the machine: the TSC counts virtual time, and a WRMSR to
    /// IA32_APIC_BASE (validated by the core) moves or disables the local APIC. Called once.
    /// TODO(fam-system): IA32_TSC_DEADLINE (6E0h) and CR8 have no hook in the core yet (the MSR table is
    /// private, CR8 is a plain field); <see cref="MsrBridge"/> holds their APIC side for when they do.
    /// </summary>
    private void WireCpuHooks()
    {
        Cpu.Msrs.TimeSource = new ClockTimeStampSource(Clock); // the reset that follows zeroes the TSC on it
        Cpu.Msrs.ApicBaseChanged += value => LocalApic.TryWriteApicBaseMsr(value);
    }

    private void RequestStop(MachineStop stop, int exitStatus = 0)
    {
        if (_stop == MachineStop.None)
        {
            _stop = stop;
            _exitStatus = exitStatus;
        }
        Cpu.RequestExit();
    }

    private void OnPicOutputChanged(bool level)
    {
        if (!level) return;
        Cpu.Pending |= JitVirt.Cpu.PendingEvent.InterruptCheck;
        // With the APIC software-enabled and LINT0 programmed as something other than ExtINT, the 8259's
        // INT still arrives on LINT0 and is delivered through that LVT entry (SDM vol.3 §11.5.1).
        if (!Interrupts.PicDrivesIntr) LocalApic.RaiseLocalInterruptPin(0);
    }

    private void RelocateLocalApic(ulong newBase)
    {
        Mmio.Unregister(_localApicBase);
        _localApicBase = newBase;
        Mmio.Register(_localApicBase, ApicRegister.PageSize, new InterruptCheckingMmio(LocalApic, Cpu));
    }

    /// <summary>The pci-testdev's BARs move or switch on and off with its command register: follow them on the buses.</summary>
    private void RemapPciTestDevice()
    {
        var device = PciTestDevice!;
        if (_pciTestDevIoBase != 0) { Ports.Unregister(_pciTestDevIoBase); _pciTestDevIoBase = 0; }
        if (_pciTestDevMemoryBase != 0) { Mmio.Unregister(_pciTestDevMemoryBase); _pciTestDevMemoryBase = 0; }
        ulong io = device.GetBarAddress(PciTestDevice.IoBar);
        if (device.IoSpaceEnabled && io != 0 && io + PciTestDevice.IoBarSize <= 0x10000)
        {
            Ports.Register((ushort)io, PciTestDevice.IoBarSize, device.IoRegion);
            _pciTestDevIoBase = (ushort)io;
        }
        ulong memory = device.GetBarAddress(PciTestDevice.MemoryBar);
        if (device.MemorySpaceEnabled && memory >= Memory.RamSize)
        {
            Mmio.Register(memory, PciTestDevice.MemoryBarSize, device.MemoryRegion);
            _pciTestDevMemoryBase = memory;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FlushOutputs();
        SerialOutput.Dispose();
        if (DebugConsoleOutput is not null && DebugConsoleOutput != SerialOutput) DebugConsoleOutput.Dispose();
        Memory.Dispose();
    }

    private void FlushOutputs()
    {
        SerialOutput.Flush();
        DebugConsoleOutput?.Flush();
    }
}
