using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// INT n, INT3, INTO, INT1 and BOUND (SDM vol.2 "INT n/INTO/INT3/INT1", "BOUND"). They only
/// record the event; <see cref="Cpu.DeliverPendingException"/> delivers it after the instruction.
/// INTO and BOUND do not decode in 64-bit mode (#UD from the decoder).
/// </summary>
static unsafe class InterruptInstructions
{
    public static void Register()
    {
        HandlerTable.Set(Code.Int_imm8, &IntN);
        HandlerTable.Set(Code.Int3, &Int3);
        HandlerTable.Set(Code.Into, &Into);
        HandlerTable.Set(Code.Int1, &Int1);
        HandlerTable.Set(Code.Bound_r16_m1616, &Bound16);
        HandlerTable.Set(Code.Bound_r32_m3232, &Bound32);
    }

    /// <summary>INT n: in V86 mode with IOPL &lt; 3 → #GP(0) (CR4.VME is not advertised, so no redirection).</summary>
    static void IntN(Cpu cpu, in Instruction i)
    {
        if (cpu.IsV86Mode && cpu.Iopl < 3) { cpu.RaiseGeneralProtection(0); return; }
        cpu.RaiseSoftwareInterrupt(i.Immediate8, isInt3OrInto: false);
    }

    /// <summary>INT3: #BP as a software interrupt (gate DPL checked; no V86 IOPL check).</summary>
    static void Int3(Cpu cpu, in Instruction i) => cpu.RaiseSoftwareInterrupt(ExceptionVector.Breakpoint, isInt3OrInto: true);

    /// <summary>INTO: #OF as a software interrupt when OF = 1; 64-bit mode → #UD.</summary>
    static void Into(Cpu cpu, in Instruction i)
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        if (cpu.GetOverflowFlag()) cpu.RaiseSoftwareInterrupt(ExceptionVector.Overflow, isInt3OrInto: true);
    }

    /// <summary>
    /// INT1 (ICEBP): a #DB trap delivered like a hardware exception: no gate DPL check, EXT set in
    /// error codes of faults during its delivery, DR6 unchanged (SDM vol.2 INT1; vol.3 §18.3.1).
    /// </summary>
    static void Int1(Cpu cpu, in Instruction i)
    {
        cpu.RaiseFault(ExceptionVector.Debug);
        cpu.PendingException.IsTrap = true;
    }

    /// <summary>BOUND r16, m16&amp;16: signed index below the first or above the second word → #BR (a fault).</summary>
    static void Bound16(Cpu cpu, in Instruction i)
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        short lower = (short)cpu.Read<ushort>(seg, ea);
        if (cpu.Faulted) return;
        short upper = (short)cpu.Read<ushort>(seg, (ea + 2) & AddressMask(i));
        if (cpu.Faulted) return;
        short index = (short)cpu.ReadRegister<ushort>(i.Op0Register);
        if (index < lower || index > upper) cpu.RaiseFault(ExceptionVector.BoundRange);
    }

    /// <summary>BOUND r32, m32&amp;32.</summary>
    static void Bound32(Cpu cpu, in Instruction i)
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        int lower = (int)cpu.Read<uint>(seg, ea);
        if (cpu.Faulted) return;
        int upper = (int)cpu.Read<uint>(seg, (ea + 4) & AddressMask(i));
        if (cpu.Faulted) return;
        int index = (int)cpu.ReadRegister<uint>(i.Op0Register);
        if (index < lower || index > upper) cpu.RaiseFault(ExceptionVector.BoundRange);
    }

    static ulong AddressMask(in Instruction i)
    {
        var b = i.MemoryBase != Iced.Intel.Register.None ? i.MemoryBase : i.MemoryIndex;
        int width = b != Iced.Intel.Register.None ? RegisterMap.Width[(int)b] : i.MemoryDisplSize;
        return width == 2 ? 0xFFFFul : 0xFFFF_FFFFul;
    }
}
