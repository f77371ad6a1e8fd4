using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.NativeOracle.Native;

/// <summary>
/// Builds the entry and exit stubs of an executor region. The entry stub is a SysV x86-64 function
/// <c>void enter(void)</c>: it saves what the ABI says a callee must preserve (RBX, RBP, R12–R15, RSP,
/// MXCSR control bits, x87 control word; empty x87 stack and DF clear on return — System V AMD64 psABI §3.2.1 and §3.2.3), loads the guest
/// state from the state block and jumps to the code slot. The code slot ends with a jump to the exit
/// stub, which stores the guest state and returns to the caller. For compatibility mode the entry does
/// a far jump to the 32-bit user code selector and the slot ends with a far jump back to the 64-bit one
/// (SDM vol. 3A §5.8.3 / vol. 2A JMP: "far jump ... in compatibility mode").
/// </summary>
internal static unsafe class TransitionStubs
{
    private static readonly AssemblerRegister64[] Gprs =
        [rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15];

    private static readonly AssemblerRegisterXMM[] Xmms =
        [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

    public static void Build(byte* region)
    {
        ulong state = (ulong)(region + ExecutorRegion.State);
        // m16:32 far pointer for the compatibility-mode entry: offset = 32-bit slot; the selector is
        // filled in by SetCompatibilitySelector once a usable one is found.
        *(uint*)(region + ExecutorRegion.State + StateBlock.FarPointer) = (uint)(ulong)(region + ExecutorRegion.Slot32);

        MachineCode.Place(Enter(state, (ulong)(region + ExecutorRegion.Slot64), compat: false),
            region + ExecutorRegion.Enter64, ExecutorRegion.StubCapacity);
        MachineCode.Place(Enter(state, 0, compat: true),
            region + ExecutorRegion.Enter32, ExecutorRegion.StubCapacity);
        MachineCode.Place(Exit(state, compat: false), region + ExecutorRegion.Exit64, ExecutorRegion.StubCapacity);
        MachineCode.Place(Exit(state, compat: true), region + ExecutorRegion.Exit32, ExecutorRegion.StubCapacity);
    }

    /// <summary>Sets the 32-bit code selector the compatibility-mode entry far-jumps to.</summary>
    public static void SetCompatibilitySelector(byte* region, ushort selector) =>
        *(ushort*)(region + ExecutorRegion.State + StateBlock.FarPointer + 4) = selector;

    private static Assembler Enter(ulong state, ulong slot64, bool compat)
    {
        var a = new Assembler(64);
        a.push(rbx); a.push(rbp); a.push(r12); a.push(r13); a.push(r14); a.push(r15);
        a.mov(__qword_ptr[state + StateBlock.HostRsp], rsp);
        a.stmxcsr(__dword_ptr[state + StateBlock.HostMxcsr]);
        a.fnstcw(__word_ptr[state + StateBlock.HostFcw]);
        a.ldmxcsr(__dword_ptr[state + StateBlock.Mxcsr]);
        int visible = compat ? GprIndex.LegacyCount : GprIndex.Count;
        for (int i = 0; i < (compat ? 8 : 16); i++)
            a.movdqu(Xmms[i], __xmmword_ptr[state + StateBlock.Xmm + (ulong)(16 * i)]);
        if (compat)
        {
            a.mov(__word_ptr[state + StateBlock.HostDs], ds);
            a.mov(__word_ptr[state + StateBlock.HostEs], es);
            a.mov(eax, LinuxSignalFrame.UserDataSelector);
            a.mov(ds, ax);
            a.mov(es, ax);
        }
        // POPFQ at CPL 3 changes only the status flags, DF, TF, AC, ID... (SDM vol. 2B POPF); the caller
        // already restricted the value to X86Flags.GuestControlled.
        a.push(__qword_ptr[state + StateBlock.Rflags]);
        a.popfq();
        for (int i = 0; i < visible; i++)
            if (i != GprIndex.Rsp) a.mov(Gprs[i], __qword_ptr[state + StateBlock.Gpr + (ulong)(8 * i)]);
        a.mov(rsp, __qword_ptr[state + StateBlock.Gpr + 8 * GprIndex.Rsp]);
        if (compat)
            a.AddInstruction(Instruction.Create(Code.Jmp_m1632, new MemoryOperand(Register.None, (long)(state + StateBlock.FarPointer))));
        else
            a.jmp(slot64);
        return a;
    }

    private static Assembler Exit(ulong state, bool compat)
    {
        var a = new Assembler(64);
        int visible = compat ? GprIndex.LegacyCount : GprIndex.Count;
        for (int i = 0; i < visible; i++)
            a.mov(__qword_ptr[state + StateBlock.Gpr + (ulong)(8 * i)], Gprs[i]);
        a.mov(rsp, __qword_ptr[state + StateBlock.HostRsp]);
        a.pushfq();
        a.pop(__qword_ptr[state + StateBlock.Rflags]);
        a.cld(); // psABI §3.2.1: DF must be clear on function exit.
        for (int i = 0; i < (compat ? 8 : 16); i++)
            a.movdqu(__xmmword_ptr[state + StateBlock.Xmm + (ulong)(16 * i)], Xmms[i]);
        a.stmxcsr(__dword_ptr[state + StateBlock.Mxcsr]);
        a.ldmxcsr(__dword_ptr[state + StateBlock.HostMxcsr]);
        // The x87 stack must be empty and the control word preserved across a call (psABI §3.2.3,
        // "the x87 control word is callee-saved"): code under test may leave MMX mode (all tags
        // valid) or a changed FCW behind, for instance when it faults before its EMMS/FNINIT.
        a.fninit();
        a.fldcw(__word_ptr[state + StateBlock.HostFcw]);
        if (compat)
        {
            a.mov(ds, __word_ptr[state + StateBlock.HostDs]);
            a.mov(es, __word_ptr[state + StateBlock.HostEs]);
        }
        a.pop(r15); a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbp); a.pop(rbx);
        a.ret();
        return a;
    }

    /// <summary>Writes <paramref name="code"/> into the mode's slot followed by the jump to its exit stub:
    /// <c>E9 rel32</c> in 64-bit mode, <c>EA ptr16:32</c> (JMP far to __USER_CS) in compatibility mode.
    /// Returns the number of bytes written.</summary>
    public static int PlaceInSlot(byte* region, ExecutionMode mode, ReadOnlySpan<byte> code)
    {
        bool compat = mode == ExecutionMode.Compat32;
        byte* slot = region + (compat ? ExecutorRegion.Slot32 : ExecutorRegion.Slot64);
        code.CopyTo(new Span<byte>(slot, code.Length));
        byte* tail = slot + code.Length;
        if (compat)
        {
            tail[0] = 0xEA; // JMP ptr16:32 (SDM vol. 2A JMP, opcode EA cd: valid in compatibility mode)
            *(uint*)(tail + 1) = (uint)(ulong)(region + ExecutorRegion.Exit32);
            *(ushort*)(tail + 5) = LinuxSignalFrame.User64CodeSelector;
            return code.Length + 7;
        }
        tail[0] = 0xE9; // JMP rel32
        *(int*)(tail + 1) = (int)((long)(region + ExecutorRegion.Exit64) - (long)(tail + 5));
        return code.Length + 5;
    }
}
