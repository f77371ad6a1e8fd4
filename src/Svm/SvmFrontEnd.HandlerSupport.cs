using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using M = JitVirt.Cpu.Platform.ModelSpecificRegisters;

namespace JitVirt.Svm;

/// <summary>What the exit handlers share: MSR access in the VMCB (svm_get_msr/svm_set_msr), HLT's wake test, register operands, and the cold emulation paths.</summary>
public sealed partial class SvmFrontEnd
{
    /// <summary>EFER.LMA and CS.L in the VMCB (attribute bit 9).</summary>
    internal bool GuestIn64BitMode()
        => (Vmcb.Efer & Efer.LMA) != 0 && (Vmcb.Read16(VmcbSaveStateArea.Cs + VmcbSaveStateArea.SegmentAttributes) & (1 << 9)) != 0;

    /// <summary>After HLT: continue when an NMI or an interrupt the guest accepts is waiting; otherwise the machine waits (KVM_EXIT_HLT).</summary>
    internal bool HaltCanContinue()
    {
        if (CanWakeFromHalt()) return true;
        _toUserspace = StopReason.Halted;
        return false;
    }

    /// <summary>The guest shut down (a fault while delivering #DF): the machine decides.</summary>
    internal bool TripleFault()
    {
        _toUserspace = StopReason.Shutdown;
        return false;
    }

    internal void ReinitializeAfterShutdown()
    {
        Vmcb.Clear();
        InitControlArea();
        _toUserspace = StopReason.Shutdown;
    }

    // ------------------------------------------------------------------ MSRs

    /// <summary>
    /// svm_get_msr: the MSRs the VMCB holds are read there (the syscall/sysenter MSRs, EFER with the
    /// guest's own SVME, the FS/GS bases, PAT as G_PAT); the TSC and everything else come from the
    /// processor's MSR model shared with VMX.
    /// </summary>
    public bool TryReadMsr(uint msr, out ulong value)
    {
        var v = Vmcb;
        switch (msr)
        {
            case M.StarMsr: value = v.Star; return true;
            case M.LstarMsr: value = v.Lstar; return true;
            case M.CstarMsr: value = v.Cstar; return true;
            case M.SfmaskMsr: value = v.Sfmask; return true;
            case M.KernelGsBaseMsr: value = v.KernelGsBase; return true;
            case M.SysenterCsMsr: value = v.SysenterCs; return true;
            case M.SysenterEspMsr: value = v.SysenterEsp; return true;
            case M.SysenterEipMsr: value = v.SysenterEip; return true;
            case M.EferMsr: value = (v.Efer & ~Efer.SVME) | _guestSvme; return true;
            case M.FsBase: value = v.Read64(VmcbSaveStateArea.Fs + VmcbSaveStateArea.SegmentBase); return true;
            case M.GsBase: value = v.Read64(VmcbSaveStateArea.Gs + VmcbSaveStateArea.SegmentBase); return true;
            case M.PatMsr: value = v.GPat; return true;
            default: return _cpu.Msrs.TryRead(msr, out value);
        }
    }

    /// <summary>svm_set_msr: the VMCB-held MSRs are written there; EFER goes through the processor's checks in guest context; the TSC keeps TSC_OFFSET in step.</summary>
    public bool TryWriteMsr(uint msr, ulong value)
    {
        var v = Vmcb;
        switch (msr)
        {
            case M.StarMsr: v.Star = value; return true;
            case M.LstarMsr: if (!JitVirt.Cpu.Cpu.IsCanonical(value)) return false; v.Lstar = value; return true;
            case M.CstarMsr: if (!JitVirt.Cpu.Cpu.IsCanonical(value)) return false; v.Cstar = value; return true;
            case M.SfmaskMsr: v.Sfmask = (uint)value; return (value >> 32) == 0;
            case M.KernelGsBaseMsr: if (!JitVirt.Cpu.Cpu.IsCanonical(value)) return false; v.KernelGsBase = value; return true;
            case M.SysenterCsMsr: v.SysenterCs = value; return true;
            case M.SysenterEspMsr: v.SysenterEsp = value; return true;
            case M.SysenterEipMsr: v.SysenterEip = value; return true;
            case M.FsBase:
                if (!JitVirt.Cpu.Cpu.IsCanonical(value)) return false;
                v.Write64(VmcbSaveStateArea.Fs + VmcbSaveStateArea.SegmentBase, value);
                return true;
            case M.GsBase:
                if (!JitVirt.Cpu.Cpu.IsCanonical(value)) return false;
                v.Write64(VmcbSaveStateArea.Gs + VmcbSaveStateArea.SegmentBase, value);
                return true;
            case M.EferMsr:
            {
                bool ok = false;
                InGuestContext((self, cpu) => ok = cpu.Msrs.TryWrite(msr, value));
                return ok;
            }
            case M.TimeStampCounter:
                _cpu.Msrs.Tsc = value;
                v.TscOffset = value - _cpu.Msrs.TimeSource.Now(_cpu);
                return true;
            default:
                if (msr == M.PatMsr && !_cpu.Msrs.TryWrite(msr, value)) return false;
                if (msr == M.PatMsr) { v.GPat = value; return true; }
                return _cpu.Msrs.TryWrite(msr, value);
        }
    }

    // ------------------------------------------------------------------ register operands

    /// <summary>The value of a general register operand of the intercepted instruction (zero-extended from its size).</summary>
    internal ulong ReadInstructionRegister(Register reg)
    {
        ulong value = ReadGpr(reg.GetFullRegister() - Register.RAX);
        return reg.GetSize() == 8 ? value : value & 0xFFFF_FFFF;
    }

    /// <summary>Writes a 32- or 64-bit general register operand (a 32-bit write zero-extends, SDM vol.1 §3.4.1.1).</summary>
    internal void WriteInstructionRegister(Register reg, ulong value)
        => WriteGpr(reg.GetFullRegister() - Register.RAX, reg.GetSize() == 8 ? value : value & 0xFFFF_FFFF);

    // ------------------------------------------------------------------ cold paths

    ulong _invlpgLinear;

    /// <summary>INVLPG: the operand's linear address (computed in guest context), then INVLPGA for the guest's ASID.</summary>
    internal bool InvlpgInterception()
    {
        InGuestContext(static (self, cpu) =>
        {
            ref readonly var i = ref self._exitInstruction;
            int seg = JitVirt.Cpu.Cpu.MemorySegment(i);
            ulong ea = cpu.EffectiveAddress(i);
            self._invlpgLinear = cpu.Is64BitMode
                ? (seg >= SegmentIndex.Fs ? ea + cpu.Segments[seg].Base : ea)
                : (ea + cpu.Segments[seg].Base) & 0xFFFF_FFFF;
        });
        Invlpga(_invlpgLinear, Vmcb.GuestAsid);
        SkipInstruction();
        return true;
    }

    /// <summary>Emulates the task switch of a TASK_SWITCH exit with the processor's own task-switch logic.</summary>
    internal bool TaskSwitchInterception()
    {
        InGuestContext(static (self, cpu) =>
        {
            var r = self.TaskSwitchRequest;
            cpu.NextRip = self._exitNextRip;
            cpu.EmulateTaskSwitch(r.Selector, r.Source, r.HasErrorCode, r.ErrorCode, r.External);
            if (cpu.Faulted) self.QueueRaisedException(cpu);
        });
        return true;
    }
}
