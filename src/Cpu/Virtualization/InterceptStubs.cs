using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Virtualization;

/// <summary>
/// Exit stubs: the handlers a decoded (and later compiled) block gets in place of an instruction the
/// front end may intercept. A stub raises the exceptions that take priority over the intercept, asks
/// <see cref="IInterceptController.TryInterceptInstruction"/>, and runs the ordinary handler when the
/// front end declines. SDM vol.3C §26.1.1: #UD, privilege-level faults and the #GP of the TSS I/O
/// permission bitmap come before VM exits; AMD APM vol.2 §15.7.1: instruction intercepts are checked
/// after the simple exceptions (#GP for CPL, #UD) of the instruction.
/// </summary>
public static unsafe class InterceptStubs
{
    /// <summary>The exceptions a stub checks before it asks the front end.</summary>
    enum Precheck { None, Cpl0, Io, DebugRegister, TimeStamp }

    /// <summary>The stub for <paramref name="instruction"/>.</summary>
    public static nint For(in Instruction instruction) => ClassOf(instruction) switch
    {
        Precheck.Cpl0 => (nint)(delegate*<Cpu, in Instruction, void>)&Cpl0Stub,
        Precheck.Io => (nint)(delegate*<Cpu, in Instruction, void>)&IoStub,
        Precheck.DebugRegister => (nint)(delegate*<Cpu, in Instruction, void>)&DebugRegisterStub,
        Precheck.TimeStamp => (nint)(delegate*<Cpu, in Instruction, void>)&TimeStampStub,
        _ => (nint)(delegate*<Cpu, in Instruction, void>)&PlainStub,
    };

    /// <summary>True when <paramref name="handler"/> is one of the stubs (the IL tier never inlines those instructions).</summary>
    public static bool IsStub(nint handler)
        => handler == (nint)(delegate*<Cpu, in Instruction, void>)&Cpl0Stub
        || handler == (nint)(delegate*<Cpu, in Instruction, void>)&IoStub
        || handler == (nint)(delegate*<Cpu, in Instruction, void>)&DebugRegisterStub
        || handler == (nint)(delegate*<Cpu, in Instruction, void>)&TimeStampStub
        || handler == (nint)(delegate*<Cpu, in Instruction, void>)&PlainStub;

    static Precheck ClassOf(in Instruction i) => i.Mnemonic switch
    {
        Mnemonic.In or Mnemonic.Out or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd
            or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd => Precheck.Io,
        Mnemonic.Mov when i.Op0Register.IsDR() || i.Op1Register.IsDR() => Precheck.DebugRegister,
        // SDM vol.2: MOV CR, HLT, RDMSR/WRMSR, INVLPG, INVD/WBINVD, CLTS, LMSW, LGDT/LIDT/LLDT/LTR are
        // CPL-0 instructions (#GP(0) otherwise); AMD APM vol.3: so are VMRUN, VMLOAD, VMSAVE, STGI,
        // CLGI, SKINIT and INVLPGA (after the EFER.SVME #UD check, which is the guest's own EFER here).
        Mnemonic.Mov when i.Op0Register.IsCR() || i.Op1Register.IsCR() => Precheck.Cpl0,
        Mnemonic.Hlt or Mnemonic.Rdmsr or Mnemonic.Wrmsr or Mnemonic.Invlpg or Mnemonic.Invd
            or Mnemonic.Wbinvd or Mnemonic.Clts or Mnemonic.Lmsw or Mnemonic.Lgdt or Mnemonic.Lidt or Mnemonic.Lldt
            or Mnemonic.Ltr or Mnemonic.Vmrun or Mnemonic.Vmload or Mnemonic.Vmsave or Mnemonic.Stgi
            or Mnemonic.Clgi or Mnemonic.Skinit or Mnemonic.Invlpga or Mnemonic.Xsetbv => Precheck.Cpl0,
        Mnemonic.Rdtsc or Mnemonic.Rdtscp => Precheck.TimeStamp,
        _ => Precheck.None,
    };

    static void PlainStub(Cpu cpu, in Instruction i) => InterceptOrRun(cpu, in i);

    static void Cpl0Stub(Cpu cpu, in Instruction i)
    {
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        InterceptOrRun(cpu, in i);
    }

    /// <summary>IN/OUT/INS/OUTS: IOPL and the TSS I/O permission bitmap first (SDM vol.1 §19.5).</summary>
    static void IoStub(Cpu cpu, in Instruction i)
    {
        var (port, size) = IoAccess(cpu, in i);
        if (!cpu.CheckIoPermission(port, size)) return;
        InterceptOrRun(cpu, in i);
    }

    /// <summary>MOV DRn: #UD for DR4/DR5 with CR4.DE, CPL 0, then the DR7.GD #DB (SDM vol.3 §18.2.4).</summary>
    static void DebugRegisterStub(Cpu cpu, in Instruction i)
    {
        int dr = (i.Op0Register.IsDR() ? i.Op0Register : i.Op1Register) - Register.DR0;
        if (dr > 7) { cpu.RaiseInvalidOpcode(); return; }
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        if (cpu.ResolveDebugRegisterAccess(dr) < 0) return;
        InterceptOrRun(cpu, in i);
    }

    /// <summary>RDTSC/RDTSCP: CR4.TSD at CPL &gt; 0 is #GP(0) (SDM vol.2 RDTSC).</summary>
    static void TimeStampStub(Cpu cpu, in Instruction i)
    {
        if ((cpu.Cr4 & Cr4.TSD) != 0 && cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        InterceptOrRun(cpu, in i);
    }

    static void InterceptOrRun(Cpu cpu, in Instruction i)
    {
        if (cpu.Intercepts is { } controller)
        {
            ulong sequential = cpu.NextRip;
            if (controller.TryInterceptInstruction(cpu, in i))
            {
                // The handler may have changed anything. A mode change (CR0, EFER, CS, RFLAGS.VM)
                // raises ModeChanged itself (Cpu.UpdateMode), an injection or a return to the machine
                // raises its own Pending bits; what is left is where the guest continues: at the next
                // instruction the block goes on in place (the common exit: CPUID, IN/OUT, RDMSR),
                // anywhere else the executor looks up again.
                if (cpu.NextRip != sequential) cpu.Pending |= PendingEvent.ModeChanged;
                return;
            }
        }
        ((delegate*<Cpu, in Instruction, void>)HandlerTable.Handlers[(int)i.Code])(cpu, in i);
    }

    /// <summary>The port and access size of an I/O instruction (DX or imm8; AL/AX/EAX or the string element).</summary>
    public static (ushort Port, int Size) IoAccess(Cpu cpu, in Instruction i)
    {
        ushort dx = (ushort)cpu.Gpr[Gpr.Rdx];
        return i.Mnemonic switch
        {
            Mnemonic.In => (i.Op1Kind == OpKind.Register ? dx : i.Immediate8, i.Op0Register.GetSize()),
            Mnemonic.Out => (i.Op0Kind == OpKind.Register ? dx : i.Immediate8, i.Op1Register.GetSize()),
            Mnemonic.Insb or Mnemonic.Outsb => (dx, 1),
            Mnemonic.Insw or Mnemonic.Outsw => (dx, 2),
            _ => (dx, 4),
        };
    }
}
