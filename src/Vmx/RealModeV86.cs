using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.State;
using Reg = Iced.Intel.Register;

namespace JitVirt.Vmx;

/// <summary>
/// Guest real mode the way 2006 VMX hardware forced KVM to run it (2.6.20 enter_rmode/enter_pmode,
/// fix_rmode_seg, inject_rmode_irq): VM entry needs CR0.PE = 1 (IA32_VMX_CR0_FIXED0), so the guest
/// runs in virtual-8086 mode with IOPL 3 under a fake three-page TSS at the top of guest RAM (I/O
/// map all zeros, so port I/O reaches the I/O exiting controls; present only while the guest is in
/// real mode, the guest's own bytes kept aside meanwhile), every segment rewritten to
/// base = selector × 16, limit FFFF, AR F3 (SDM vol.3C §27.3.1.2), every exception exiting, and
/// interrupts delivered by the VMM through the real-mode IVT.
/// Departure from 2.6.20: KVM set CR4.VME and let the TSS redirection bitmap send INT n to the IVT
/// (SDM vol.3 §20.3.3); JitVirt's CPU does not implement VME redirection, so the VMM loads an IDTR
/// limit of 0 while in real mode: every INT n faults in delivery, exits with IDT-vectoring type 4
/// and the instruction length, and the VMM delivers it through the guest's IVT. 2.6.20 also ran
/// the x86 emulator on #GP(0); here a small emulator covers the CPL-0 instructions real-mode code uses.
/// </summary>
public sealed partial class VmxFrontEnd
{
    bool _rmode;
    ulong _rmodeIdtrBase;
    uint _rmodeIdtrLimit;
    ulong _savedIopl;
    (ushort Selector, ulong Base, uint Limit, uint Ar) _savedTr = (0, 0, 0xFFFF, 0x8B);

    /// <summary>True while the guest's real mode runs on the virtual-8086 path.</summary>
    public bool InRealModePath => _rmode;

    /// <summary>The fake TSS: 0x68 bytes, 32-byte redirection map, 8 KiB I/O map, a final FF byte (limit 0x2088 = 8328).</summary>
    public const int FakeTssLimit = 0x68 + 32 + 8192;
    const int FakeTssIoMapOffset = 0x88;
    ulong _fakeTssBase;

    /// <summary>The guest's own bytes under the fake TSS while it is installed (null when it is not).</summary>
    byte[]? _displacedByFakeTss;

    /// <summary>
    /// Where the fake TSS goes: the top three pages of guest RAM. 2.6.20 took the top three pages of
    /// memory slot 0 (rmode_tss_base), memory the guest was not meant to use (later KVM made the
    /// address the VMM's explicit choice, KVM_SET_TSS_ADDR). Here those pages are ordinary RAM the
    /// guest owns (the machine's memory map says usable, and the Linux loader puts the initrd there),
    /// so the TSS is only present while the guest runs on the virtual-8086 path, see <see cref="InstallFakeTss"/>.
    /// </summary>
    void PlaceFakeTss()
    {
        _fakeTssBase = (_cpu.Physical.RamSize - 3 * 4096) & ~0xFFFul;
        _displacedByFakeTss = null;   // after a reset the machine owns the RAM contents again
    }

    /// <summary>
    /// Writes the fake TSS over the guest's bytes, keeping them to restore at <see cref="RemoveFakeTss"/>.
    /// Virtual-8086 code reaches only the first 1 MiB + 64 KiB (segment limits FFFF), so the guest
    /// cannot see the swap; the processor only reads the TSS (SS0:ESP0, the I/O map).
    /// </summary>
    void InstallFakeTss()
    {
        if (_displacedByFakeTss is not null) return;   // still installed (an emulated task switch rewrote the state)
        var ram = _cpu.Physical;
        var saved = new byte[FakeTssLimit + 1];
        ram.ReadBytes(_fakeTssBase, saved);
        var image = new byte[FakeTssLimit + 1];
        image[0x66] = FakeTssIoMapOffset;                        // I/O map base (TSS+0x66)
        image[FakeTssLimit] = 0xFF;                              // the byte after the map must be all ones (SDM vol.1 §19.5.2)
        ram.WriteBytes(_fakeTssBase, image);
        _displacedByFakeTss = saved;
    }

    /// <summary>Puts the guest's own bytes back where the fake TSS was (the guest leaves real mode).</summary>
    void RemoveFakeTss()
    {
        if (_displacedByFakeTss is not { } saved) return;
        _cpu.Physical.WriteBytes(_fakeTssBase, saved);
        _displacedByFakeTss = null;
    }

    void EnterRealMode()
    {
        _rmode = true;
        InstallFakeTss();
        _savedTr = ((ushort)Read(VmcsField.GuestTrSelector), Read(VmcsField.GuestTrBase), (uint)Read(VmcsField.GuestTrLimit), (uint)Read(VmcsField.GuestTrAccessRights));
        _rmodeIdtrBase = Read(VmcsField.GuestIdtrBase);
        _rmodeIdtrLimit = (uint)Read(VmcsField.GuestIdtrLimit);
        ulong rflags = Read(VmcsField.GuestRflags);
        _savedIopl = rflags & Rflags.IoplMask;
        Write(VmcsField.GuestRflags, rflags | Rflags.VM | Rflags.IoplMask);
        Write(VmcsField.GuestCr4, RealCr4(GuestCr4));
        Write(VmcsField.GuestTrSelector, 0);
        Write(VmcsField.GuestTrBase, _fakeTssBase);
        Write(VmcsField.GuestTrLimit, FakeTssLimit);
        Write(VmcsField.GuestTrAccessRights, 0x8B);             // busy 32-bit TSS, present
        Write(VmcsField.GuestIdtrBase, 0);
        Write(VmcsField.GuestIdtrLimit, 0);
        for (int s = 0; s < SegmentIndex.Count; s++)
        {
            ushort selector = (ushort)(Read(VmcsField.Base(s)) >> 4);   // fix_rmode_seg
            Write(VmcsField.Selector(s), selector);
            Write(VmcsField.Base(s), (ulong)selector << 4);
            Write(VmcsField.Limit(s), 0xFFFF);
            Write(VmcsField.AccessRights(s), JitVirt.Cpu.Cpu.V86SegmentAccessRights);
        }
        Write(VmcsField.ExceptionBitmap, 0xFFFF_FFFF);
    }

    void LeaveRealMode()
    {
        _rmode = false;
        RemoveFakeTss();
        Write(VmcsField.GuestTrSelector, _savedTr.Selector);
        Write(VmcsField.GuestTrBase, _savedTr.Base);
        Write(VmcsField.GuestTrLimit, _savedTr.Limit);
        Write(VmcsField.GuestTrAccessRights, _savedTr.Ar);
        Write(VmcsField.GuestIdtrBase, _rmodeIdtrBase);
        Write(VmcsField.GuestIdtrLimit, _rmodeIdtrLimit);
        ulong rflags = Read(VmcsField.GuestRflags);
        Write(VmcsField.GuestRflags, (rflags & ~(Rflags.VM | Rflags.IoplMask)) | _savedIopl);
        Write(VmcsField.GuestCr4, RealCr4(GuestCr4));
        // SDM vol.3 §10.9.1: after CR0.PE the segment caches keep their real-mode contents; DPL 0.
        for (int s = 0; s < SegmentIndex.Count; s++)
            Write(VmcsField.AccessRights(s), s == SegmentIndex.Cs ? SegmentRegister.RealModeCode : SegmentRegister.RealModeData);
        Write(VmcsField.ExceptionBitmap, ProtectedModeExceptionBitmap);
    }

    /// <summary>vmx_vcpu_setup's exception bitmap outside real mode: #PF only (SDM vol.3C §25.6.3).</summary>
    const uint ProtectedModeExceptionBitmap = 1u << ExceptionVector.PageFault;

    /// <summary>
    /// inject_rmode_irq / real-mode exception delivery (SDM vol.3 §20.1.4): push FLAGS (as the guest
    /// sees them: its own IOPL, no VM), CS and IP; clear IF, TF, AC; load CS:IP from the IVT.
    /// </summary>
    void DeliverThroughIvt(byte vector, ulong returnIp)
    {
        var cpu = _cpu;
        ulong entry = (ulong)vector * 4;
        if (entry + 3 > _rmodeIdtrLimit) { _stop = IvtTooShort(); return; }
        ulong rflags = Read(VmcsField.GuestRflags);
        ushort flags = (ushort)((rflags & ~Rflags.IoplMask) | _savedIopl);
        ulong ssBase = Read(VmcsField.GuestSsBase);
        ushort sp = (ushort)Read(VmcsField.GuestRsp);
        ushort cs = (ushort)Read(VmcsField.GuestCsSelector);
        foreach (ushort word in stackalloc ushort[] { flags, cs, (ushort)returnIp })
        {
            sp -= 2;
            cpu.WriteLinear<ushort>(ssBase + sp, word, false);
        }
        ushort newIp = cpu.ReadLinear<ushort>(_rmodeIdtrBase + entry, false);
        ushort newCs = cpu.ReadLinear<ushort>(_rmodeIdtrBase + entry + 2, false);
        Write(VmcsField.GuestRsp, (Read(VmcsField.GuestRsp) & ~0xFFFFul) | sp);
        Write(VmcsField.GuestCsSelector, newCs);
        Write(VmcsField.GuestCsBase, (ulong)newCs << 4);
        Write(VmcsField.GuestRip, newIp);
        Write(VmcsField.GuestRflags, rflags & ~(Rflags.IF | Rflags.TF | Rflags.AC | Rflags.RF));
        Write(VmcsField.GuestInterruptibilityState, 0);
    }

    /// <summary>A real-mode IVT too short for the vector: the processor shuts down (SDM vol.3 §20.1.4).</summary>
    JitVirt.Cpu.Execution.StopReason IvtTooShort()
    {
        _cpu.Pending |= PendingEvent.ExitRequested;
        return JitVirt.Cpu.Execution.StopReason.Shutdown;
    }

    bool HandleRealModeException(byte vector, uint type, bool hasError, uint error, uint idt)
    {
        ulong rip = Read(VmcsField.GuestRip);
        ulong length = Read(VmcsField.VmExitInstructionLength);
        if (InterruptionInfo.IsValid(idt) && InterruptionInfo.Type(idt) is InterruptionType.SoftwareInterrupt or InterruptionType.SoftwareException)
        {
            DeliverThroughIvt(InterruptionInfo.Vector(idt), (rip + length) & 0xFFFF);   // INT n redirected through the IVT
            return _stop is null;
        }
        if (vector == ExceptionVector.GeneralProtection && hasError && error == 0) return EmulateRealModeInstruction();
        ulong returnIp = type == InterruptionType.SoftwareException ? rip + length : rip;
        DeliverThroughIvt(vector, returnIp & 0xFFFF);
        return _stop is null;
    }

    // The fetch buffer and 16-bit decoder of EmulateRealModeInstruction, reused: every #GP exit of
    // real-mode code comes through it, and a fresh decoder per exit was three allocations.
    readonly byte[] _realModeFetch = new byte[15];   // the longest instruction (SDM vol.2 §2.3.11)
    ByteArrayCodeReader _realModeReader = null!;
    Decoder _realModeDecoder = null!;

    void CreateRealModeDecoder()
    {
        _realModeReader = new ByteArrayCodeReader(_realModeFetch);
        _realModeDecoder = Decoder.Create(16, _realModeReader);
    }

    /// <summary>The #GP(0) a CPL-0 instruction raises in virtual-8086 mode: emulate it on the guest's real-mode state.</summary>
    bool EmulateRealModeInstruction()
    {
        var cpu = _cpu;
        ulong rip = Read(VmcsField.GuestRip);
        ulong csBase = Read(VmcsField.GuestCsBase);
        var bytes = _realModeFetch;
        for (int k = 0; k < bytes.Length; k++) bytes[k] = cpu.ReadLinear<byte>(csBase + ((rip + (ulong)k) & 0xFFFF), false);
        _realModeReader.Position = 0;
        _realModeDecoder.IP = rip;
        _realModeDecoder.Decode(out var insn);
        Write(VmcsField.GuestRip, (rip + (ulong)insn.Length) & 0xFFFF);
        bool ok = true;
        switch (insn.Mnemonic)
        {
            case Mnemonic.Hlt:
                if (CanWake()) return true;
                _halted = true;
                _stop = JitVirt.Cpu.Execution.StopReason.Halted;
                return false;
            case Mnemonic.Mov when insn.Op0Register.IsCR():
            {
                ulong value = cpu.ReadRegisterZx(insn.Op1Register);
                ok = (insn.Op0Register - Reg.CR0) switch { 0 => SetCr0(value), 2 => Assign(ref cpu.Cr2, value), 3 => SetCr3(value), 4 => SetCr4(value), _ => false };
                break;
            }
            case Mnemonic.Mov when insn.Op1Register.IsCR():
            {
                ulong value = (insn.Op1Register - Reg.CR0) switch { 0 => GuestCr0, 2 => cpu.Cr2, 3 => Read(VmcsField.GuestCr3), 4 => GuestCr4, _ => 0 };
                cpu.WriteRegisterSized(insn.Op0Register, (uint)value);
                if (insn.Op0Register.GetFullRegister() == Reg.RSP) Write(VmcsField.GuestRsp, cpu.Gpr[JitVirt.Cpu.State.Gpr.Rsp]);   // RSP lives in GUEST_RSP
                break;
            }
            case Mnemonic.Lmsw:
            {
                ulong source = cpu.ReadOperand<ushort>(insn, 0) & 0xFu;
                ok = SetCr0((GuestCr0 & ~0xEul) | source | (GuestCr0 & Cr0.PE));
                break;
            }
            case Mnemonic.Clts: ok = SetCr0(GuestCr0 & ~Cr0.TS); break;
            case Mnemonic.Lgdt or Mnemonic.Lidt:
            {
                ulong linear = cpu.Segments[JitVirt.Cpu.Cpu.MemorySegment(insn)].Base + (cpu.EffectiveAddress(insn) & 0xFFFF);
                uint limit = cpu.ReadLinear<ushort>(linear, false);
                ulong tableBase = cpu.ReadLinear<uint>(linear + 2, false);
                if (insn.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16) tableBase &= 0xFF_FFFF;   // 16-bit operand size: a 24-bit base (SDM vol.2 LGDT)
                if (insn.Mnemonic == Mnemonic.Lgdt) { Write(VmcsField.GuestGdtrBase, tableBase); Write(VmcsField.GuestGdtrLimit, limit); }
                else { _rmodeIdtrBase = tableBase; _rmodeIdtrLimit = limit; }
                break;
            }
            case Mnemonic.Rdmsr:
                if (cpu.Msrs.TryRead((uint)cpu.Gpr[JitVirt.Cpu.State.Gpr.Rcx], out ulong msr)) SetEdxEax(msr); else ok = false;
                break;
            case Mnemonic.Wrmsr:
                ok = cpu.Msrs.TryWrite((uint)cpu.Gpr[JitVirt.Cpu.State.Gpr.Rcx], (uint)cpu.Gpr[JitVirt.Cpu.State.Gpr.Rax] | (cpu.Gpr[JitVirt.Cpu.State.Gpr.Rdx] << 32));
                break;
            case Mnemonic.Wbinvd or Mnemonic.Invd or Mnemonic.Invlpg:
                break;
            default:
                ok = false;
                break;
        }
        if (!ok)
        {
            Write(VmcsField.GuestRip, rip);
            DeliverThroughIvt(ExceptionVector.GeneralProtection, rip);
        }
        return _stop is null;
    }
}
