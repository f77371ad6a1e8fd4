using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Descriptor-inspecting and system-segment instructions: LAR, LSL, VERR, VERW, ARPL, LLDT,
/// SLDT, LTR, STR (SDM vol.2). All of them are #UD in real-address and virtual-8086 mode.
/// MOV/POP Sreg and LDS.. belong to the data-transfer family and call
/// <see cref="Cpu.LoadSegmentRegister"/>.
/// </summary>
static unsafe class SegmentInstructions
{
    public static void Register()
    {
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Lar)) HandlerTable.Set(c, &Lar);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Lsl)) HandlerTable.Set(c, &Lsl);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Verr)) HandlerTable.Set(c, &Verr);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Verw)) HandlerTable.Set(c, &Verw);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Arpl)) HandlerTable.Set(c, &Arpl);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Lldt)) HandlerTable.Set(c, &Lldt);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Sldt)) HandlerTable.Set(c, &Sldt);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Ltr)) HandlerTable.Set(c, &Ltr);
        foreach (var c in HandlerTable.FormsOf(Mnemonic.Str)) HandlerTable.Set(c, &Str);
    }

    /// <summary>#UD outside protected mode (the instructions are "not recognized" in real and V86 mode).</summary>
    static bool RejectUnprotected(Cpu cpu)
    {
        if (cpu.Mode is OperatingMode.Real or OperatingMode.Virtual8086) { cpu.RaiseInvalidOpcode(); return true; }
        return false;
    }

    /// <summary>A 16-bit selector operand: the low word of a register, or a word in memory.</summary>
    static ushort ReadSelector(Cpu cpu, in Instruction i, int n)
        => i.GetOpKind(n) == OpKind.Register ? (ushort)cpu.ReadRegisterZx(i.GetOpRegister(n)) : cpu.Read<ushort>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));

    static void SetZf(Cpu cpu, bool value) => cpu.SetArithmeticFlags(Rflags.ZF, value ? Rflags.ZF : 0);

    /// <summary>
    /// The common part of LAR and LSL (SDM vol.2 LAR/LSL): the selector must name a descriptor
    /// within its table whose type is valid for the instruction (Table 3-2 subsets; in IA-32e mode
    /// only LDT, 64-bit TSS and, for LAR, 64-bit call gate, read as 16 bytes with a zero upper type)
    /// and which is visible at CPL and RPL unless it is a conforming code segment.
    /// </summary>
    static bool TryVisibleDescriptor(Cpu cpu, ushort sel, bool lsl, out SegmentDescriptor d)
    {
        d = default;
        if (Cpu.IsNullSelector(sel) || !cpu.TryReadDescriptor(sel, out d, out _)) return false;
        if (!d.IsCodeOrData)
        {
            bool ia32e = cpu.IsLongModeActive;
            bool valid = ia32e
                ? d.Type is SystemDescriptorType.Ldt or SystemDescriptorType.Tss32Available or SystemDescriptorType.Tss32Busy
                    || (!lsl && d.Type == SystemDescriptorType.CallGate32)
                : d.Type is SystemDescriptorType.Tss16Available or SystemDescriptorType.Ldt or SystemDescriptorType.Tss16Busy
                    or SystemDescriptorType.Tss32Available or SystemDescriptorType.Tss32Busy
                    || (!lsl && d.Type is SystemDescriptorType.CallGate16 or SystemDescriptorType.TaskGate or SystemDescriptorType.CallGate32);
            if (!valid) return false;
            if (ia32e && (!cpu.TryReadDescriptor(sel, out d, out _, sixteenBytes: true) || ((d.High >> 40) & 0x1F) != 0)) return false;
        }
        if (!d.IsConforming && (d.Dpl < cpu.Cpl || d.Dpl < (sel & 3))) return false;
        return true;
    }

    static void Lar(Cpu cpu, in Instruction i)
    {
        if (RejectUnprotected(cpu)) return;
        ushort sel = ReadSelector(cpu, i, 1);
        if (cpu.Faulted) return;
        bool ok = TryVisibleDescriptor(cpu, sel, lsl: false, out var d);
        if (cpu.Faulted) return;
        if (ok)
        {
            // Bytes 4-7 of the descriptor masked with 00F0FF00H (limit 19:16 and base bytes cleared).
            uint rights = (uint)(d.Raw >> 32) & 0x00F0_FF00;
            var reg = i.Op0Register;
            if (RegisterMap.Width[(int)reg] == 2) cpu.WriteRegister(reg, (ushort)(rights & 0xFF00));
            else cpu.WriteRegisterSized(reg, rights);
        }
        SetZf(cpu, ok);
    }

    static void Lsl(Cpu cpu, in Instruction i)
    {
        if (RejectUnprotected(cpu)) return;
        ushort sel = ReadSelector(cpu, i, 1);
        if (cpu.Faulted) return;
        bool ok = TryVisibleDescriptor(cpu, sel, lsl: true, out var d);
        if (cpu.Faulted) return;
        if (ok) cpu.WriteRegisterSized(i.Op0Register, d.Limit);
        SetZf(cpu, ok);
    }

    static void Verr(Cpu cpu, in Instruction i) => Verify(cpu, i, write: false);
    static void Verw(Cpu cpu, in Instruction i) => Verify(cpu, i, write: true);

    /// <summary>VERR/VERW: ZF = 1 when the segment is readable (writable) at CPL and RPL (SDM vol.2 VERR/VERW).</summary>
    static void Verify(Cpu cpu, in Instruction i, bool write)
    {
        if (RejectUnprotected(cpu)) return;
        ushort sel = ReadSelector(cpu, i, 0);
        if (cpu.Faulted) return;
        bool ok = !Cpu.IsNullSelector(sel) && cpu.TryReadDescriptor(sel, out var d, out _)
            && d.IsCodeOrData
            && (write ? d.IsWritable : d.IsReadable)
            && (d.IsConforming || (d.Dpl >= cpu.Cpl && d.Dpl >= (sel & 3)));
        if (cpu.Faulted) return;
        SetZf(cpu, ok);
    }

    /// <summary>ARPL: raises the destination selector's RPL to the source's (SDM vol.2 ARPL). Not encodable in 64-bit mode (0x63 is MOVSXD).</summary>
    static void Arpl(Cpu cpu, in Instruction i)
    {
        if (RejectUnprotected(cpu)) return;
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        int src = (int)cpu.ReadRegisterZx(i.Op1Register) & 3;
        if (i.Op0Kind == OpKind.Register)
        {
            ref ulong slot = ref cpu.Gpr[RegisterMap.GprIndex[(int)i.Op0Register]];
            int dst = (int)slot & 3;
            if (dst < src) slot = (slot & ~3ul) | (uint)src;
            SetZf(cpu, dst < src);
            return;
        }
        if (!cpu.TryResolveWritable(i, 2, out ulong linear)) return;
        ushort v = cpu.ReadLinear<ushort>(linear, cpu.UserAccess);
        if (cpu.Faulted) return;
        bool adjust = (v & 3) < src;
        if (adjust) cpu.WriteLinear(linear, (ushort)((v & ~3) | src), cpu.UserAccess);
        if (cpu.Faulted) return;
        SetZf(cpu, adjust);
    }

    /// <summary>
    /// Reads an LDT or TSS descriptor for LLDT/LTR: TI must be 0, the entry must lie within the GDT
    /// (16 bytes in IA-32e mode, with a zero upper type) — else #GP(selector).
    /// </summary>
    static bool TryReadSystemDescriptor(Cpu cpu, ushort sel, out SegmentDescriptor d, out ulong address)
    {
        d = default;
        address = 0;
        bool ia32e = cpu.IsLongModeActive;
        if ((sel & 4) != 0 || !cpu.TryReadDescriptor(sel, out d, out address, sixteenBytes: ia32e) || (ia32e && ((d.High >> 40) & 0x1F) != 0))
        {
            if (!cpu.Faulted) cpu.RaiseGeneralProtection(Cpu.SelectorErrorCode(sel));
            return false;
        }
        return true;
    }

    static SegmentRegister SystemSegment(Cpu cpu, in SegmentDescriptor d, ushort sel) => new()
    {
        Selector = sel,
        Base = cpu.IsLongModeActive ? d.Base64 : d.Base,
        Limit = d.Limit,
        AccessRights = d.AccessRights,
    };

    /// <summary>LLDT (SDM vol.2): CPL 0; a null selector makes LDTR unusable; otherwise an LDT descriptor in the GDT, present.</summary>
    static void Lldt(Cpu cpu, in Instruction i)
    {
        if (RejectUnprotected(cpu)) return;
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        ushort sel = ReadSelector(cpu, i, 0);
        if (cpu.Faulted) return;
        if (Cpu.IsNullSelector(sel))
        {
            cpu.Ldtr = Cpu.NullSegment(sel);
            return;
        }
        if (!TryReadSystemDescriptor(cpu, sel, out var d, out _)) return;
        if (d.IsCodeOrData || d.Type != SystemDescriptorType.Ldt) { cpu.RaiseGeneralProtection(Cpu.SelectorErrorCode(sel)); return; }
        if (!d.IsPresent) { cpu.RaiseFault(ExceptionVector.SegmentNotPresent, Cpu.SelectorErrorCode(sel)); return; }
        cpu.Ldtr = SystemSegment(cpu, d, sel);
    }

    /// <summary>LTR (SDM vol.2): CPL 0; an available TSS descriptor in the GDT (64-bit TSS in IA-32e mode), present; marks it busy.</summary>
    static void Ltr(Cpu cpu, in Instruction i)
    {
        if (RejectUnprotected(cpu)) return;
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        ushort sel = ReadSelector(cpu, i, 0);
        if (cpu.Faulted) return;
        if (Cpu.IsNullSelector(sel)) { cpu.RaiseGeneralProtection(0); return; }
        if (!TryReadSystemDescriptor(cpu, sel, out var d, out ulong address)) return;
        bool available = !d.IsCodeOrData && (d.Type == SystemDescriptorType.Tss32Available
            || (!cpu.IsLongModeActive && d.Type == SystemDescriptorType.Tss16Available));
        if (!available) { cpu.RaiseGeneralProtection(Cpu.SelectorErrorCode(sel)); return; }
        if (!d.IsPresent) { cpu.RaiseFault(ExceptionVector.SegmentNotPresent, Cpu.SelectorErrorCode(sel)); return; }
        byte rights = cpu.ReadLinear<byte>(address + 5, false);
        cpu.WriteLinear(address + 5, (byte)(rights | 2), false);
        if (cpu.Faulted) return;
        var tr = SystemSegment(cpu, d, sel);
        tr.AccessRights |= 2;
        cpu.Tr = tr;
    }

    static void Sldt(Cpu cpu, in Instruction i) => StoreSelector(cpu, i, cpu.Ldtr.Selector);
    static void Str(Cpu cpu, in Instruction i) => StoreSelector(cpu, i, cpu.Tr.Selector);

    /// <summary>SLDT/STR: a register destination is zero-extended beyond 16 bits with a 32/64-bit operand; memory gets 16 bits (SDM vol.2 SLDT, STR).</summary>
    static void StoreSelector(Cpu cpu, in Instruction i, ushort selector)
    {
        if (RejectUnprotected(cpu)) return;
        if (i.Op0Kind == OpKind.Register) cpu.WriteRegisterSized(i.Op0Register, selector);
        else cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), selector);
    }
}
