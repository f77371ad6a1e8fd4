using Iced.Intel;
using JitVirt.NativeOracle;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.NativeOracle.Tests;

/// <summary>The native executor against results worked out from the SDM by hand.</summary>
public sealed class NativeExecutorTests(NativeExecutorFixture fixture) : IClassFixture<NativeExecutorFixture>
{
    private const ulong Arith = X86Flags.Arithmetic;

    private OracleState Run(ExecutionMode mode, Action<Assembler> emit, Action<OracleState>? setup = null)
    {
        var state = fixture.NewState();
        setup?.Invoke(state);
        fixture.Executor.Execute(mode, Assembling.Code(mode, fixture.Layout, emit), state);
        return state;
    }

    /// <summary>Runs compatibility-mode code, or — on a host without a 32-bit user code segment — checks
    /// that the executor refuses it and returns null (the caller then has nothing more to check).</summary>
    private OracleState? RunCompat(Action<Assembler> emit, Action<OracleState>? setup = null)
    {
        if (fixture.Executor.SupportsCompat32) return Run(ExecutionMode.Compat32, emit, setup);
        Assert.Throws<PlatformNotSupportedException>(() => Run(ExecutionMode.Compat32, emit, setup));
        return null;
    }

    [Fact]
    public void Layout_is_below_2GiB_and_page_separated()
    {
        var layout = fixture.Layout;
        Assert.True(layout.ScratchAddress + (ulong)layout.ScratchSize <= 0x8000_0000UL);
        Assert.True(layout.StackTop <= 0x8000_0000UL);
        Assert.True(layout.CodeAddress64 < 0x8000_0000UL && layout.CodeAddress32 < 0x8000_0000UL);
        Assert.Equal(0UL, layout.ScratchAddress % 4096);
        Assert.Equal(4096, layout.ScratchSize);
    }

    [Fact]
    public void Add_signed_overflow_sets_OF_SF_and_clears_CF()
    {
        // SDM vol. 2A ADD: OF/SF/ZF/AF/CF/PF set according to the result.
        // 0x7FFF_FFFF_FFFF_FFFF + 1 = 0x8000_0000_0000_0000: signed overflow, no carry, AF (0xF+1), PF (low byte 0 → even).
        var s = Run(ExecutionMode.Long64, a => a.add(rax, rbx), st => { st.Gpr[GprIndex.Rax] = 0x7FFF_FFFF_FFFF_FFFF; st.Gpr[GprIndex.Rbx] = 1; });
        Assert.Equal(FaultVectors.None, s.FaultVector);
        Assert.Equal(0x8000_0000_0000_0000UL, s.Gpr[GprIndex.Rax]);
        Assert.Equal(X86Flags.OF | X86Flags.SF | X86Flags.AF | X86Flags.PF, s.Rflags & Arith);
    }

    [Fact]
    public void Adc_uses_incoming_carry()
    {
        var s = Run(ExecutionMode.Long64, a => a.adc(eax, ebx), st =>
        {
            st.Gpr[GprIndex.Rax] = 0xFFFF_FFFF_0000_0001; st.Gpr[GprIndex.Rbx] = 0xFFFF_FFFF; st.Rflags |= X86Flags.CF;
        });
        Assert.Equal(1UL, s.Gpr[GprIndex.Rax]); // 32-bit result, zero-extended (SDM vol. 1 §3.4.1.1)
        Assert.Equal(X86Flags.CF, s.Rflags & X86Flags.CF);
    }

    [Fact]
    public void Div_by_zero_reports_divide_error()
    {
        var s = Run(ExecutionMode.Long64, a => a.div(rbx), st => { st.Gpr[GprIndex.Rax] = 1000; st.Gpr[GprIndex.Rbx] = 0; });
        Assert.Equal(FaultVectors.DivideError, s.FaultVector);
        Assert.Equal(1000UL, s.Gpr[GprIndex.Rax]); // faults leave the destination untouched
    }

    [Fact]
    public void Idiv_quotient_overflow_reports_divide_error()
    {
        // SDM vol. 2A IDIV: a quotient too large for the destination raises #DE (0x80000000 / -1).
        var s = Run(ExecutionMode.Long64, a => a.idiv(ecx), st =>
        {
            st.Gpr[GprIndex.Rax] = 0x8000_0000; st.Gpr[GprIndex.Rdx] = 0xFFFF_FFFF; st.Gpr[GprIndex.Rcx] = 0xFFFF_FFFF;
        });
        Assert.Equal(FaultVectors.DivideError, s.FaultVector);
    }

    [Fact]
    public void Compat_mode_support_is_detected_with_a_32bit_code_selector()
    {
        var executor = fixture.Executor;
        if (executor.SupportsCompat32) Assert.True((executor.CompatibilityCodeSelector & 3) == 3, "selector must have RPL 3");
        else Assert.Equal(0, executor.CompatibilityCodeSelector);
    }

    [Fact]
    public void Daa_in_64bit_mode_is_invalid_opcode()
    {
        // SDM vol. 2A DAA: "Invalid" in 64-bit mode → #UD.
        var state = fixture.NewState();
        fixture.Executor.Execute(ExecutionMode.Long64, [0x27], state);
        Assert.Equal(FaultVectors.InvalidOpcode, state.FaultVector);
    }

    [Fact]
    public void Daa_matches_the_SDM_worked_example()
    {
        // SDM vol. 2A DAA, Example: after ADD AL,BL with AL=79h BL=35h → AL=AEh, OSZAPC=110000;
        // DAA then gives AL=14h with OSZAPC=X00111.
        var s = RunCompat(a => a.daa(), st =>
        {
            st.Gpr[GprIndex.Rax] = 0xAE; st.Gpr[GprIndex.Rbx] = 0x35; st.Rflags |= X86Flags.OF | X86Flags.SF;
        });
        if (s is null) return;
        Assert.Equal(FaultVectors.None, s.FaultVector);
        Assert.Equal(0x14UL, s.Gpr[GprIndex.Rax]);
        Assert.Equal(X86Flags.AF | X86Flags.PF | X86Flags.CF, s.Rflags & (Arith & ~X86Flags.OF));
    }

    [Fact]
    public void Das_matches_the_SDM_worked_example()
    {
        // SDM vol. 2A DAS, Example: AL=EEh with OSZAPC=010111 → AL=88h, OSZAPC=X10111.
        var s = RunCompat(a => a.das(), st =>
        {
            st.Gpr[GprIndex.Rax] = 0xEE;
            st.Rflags |= X86Flags.SF | X86Flags.AF | X86Flags.PF | X86Flags.CF;
        });
        if (s is null) return;
        Assert.Equal(0x88UL, s.Gpr[GprIndex.Rax]);
        Assert.Equal(X86Flags.SF | X86Flags.AF | X86Flags.PF | X86Flags.CF, s.Rflags & (Arith & ~X86Flags.OF));
    }

    [Fact]
    public void Aam_with_zero_base_is_divide_error()
    {
        var s = RunCompat(a => a.aam(0), st => st.Gpr[GprIndex.Rax] = 99);
        if (s is null) return;
        Assert.Equal(FaultVectors.DivideError, s.FaultVector);
    }

    [Fact]
    public void Compat_pushad_moves_esp_down_by_32_and_stores_eax_on_top()
    {
        // SDM vol. 2B PUSHA/PUSHAD: pushes EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI → 8 × 4 bytes;
        // EAX ends up at the highest address (ESP_before - 4).
        var layout = fixture.Layout;
        ulong esp = layout.InitialStackPointer;
        var s = RunCompat(a => a.pushad(), st => { st.Gpr[GprIndex.Rax] = 0x1122_3344; st.Gpr[GprIndex.Rdi] = 0x5566_7788; });
        if (s is null) return;
        Assert.Equal(FaultVectors.None, s.FaultVector);
        Assert.Equal(esp - 32, s.Gpr[GprIndex.Rsp]);
        int top = (int)(esp - layout.StackAddress);
        Assert.Equal(0x1122_3344u, BitConverter.ToUInt32(s.Stack, top - 4));
        Assert.Equal(0x5566_7788u, BitConverter.ToUInt32(s.Stack, top - 32));
        Assert.Equal((uint)esp, BitConverter.ToUInt32(s.Stack, top - 20)); // the original ESP
    }

    [Fact]
    public void Compat_mode_reports_only_low_halves_and_keeps_r8_to_r15()
    {
        var s = RunCompat(a => a.add(eax, 1), st => { st.Gpr[GprIndex.Rax] = 0xFFFF_FFFF_FFFF_FFFF; st.Gpr[GprIndex.R9] = 0xABCD; });
        if (s is null) return;
        Assert.Equal(0UL, s.Gpr[GprIndex.Rax]);
        Assert.Equal(0xABCDUL, s.Gpr[GprIndex.R9]);
        Assert.Equal(X86Flags.CF, s.Rflags & X86Flags.CF);
    }

    [Fact]
    public void Compat_16bit_address_size_wraps_at_64K()
    {
        // SDM vol. 1 §3.7.5: 16-bit effective addresses are computed modulo 2^16.
        var s = RunCompat(a => a.lea(eax, __[bx + si + 0x1234]), st => { st.Gpr[GprIndex.Rbx] = 0x8000; st.Gpr[GprIndex.Rsi] = 0x9000; });
        if (s is null) return;
        Assert.Equal(0x2234UL, s.Gpr[GprIndex.Rax]);
    }

    [Theory]
    [InlineData(ExecutionMode.Long64)]
    [InlineData(ExecutionMode.Compat32)]
    public void Memory_operand_on_scratch_is_updated(ExecutionMode mode)
    {
        var layout = fixture.Layout;
        Action<Assembler> emit = a =>
        {
            if (mode == ExecutionMode.Long64) a.add(__qword_ptr[rbx + 8], rax);
            else a.add(__dword_ptr[ebx + 8], eax);
        };
        Action<OracleState> setup = st =>
        {
            st.Gpr[GprIndex.Rax] = 5;
            st.Gpr[GprIndex.Rbx] = layout.ScratchAddress;
            BitConverter.TryWriteBytes(st.Scratch.AsSpan(8), 0xFFFF_FFFF_FFFF_FFFBUL);
        };
        var s = mode == ExecutionMode.Long64 ? Run(mode, emit, setup) : RunCompat(emit, setup);
        if (s is null) return;
        Assert.Equal(FaultVectors.None, s.FaultVector);
        ulong expected = mode == ExecutionMode.Long64 ? 0UL : 0xFFFF_FFFF_0000_0000UL;
        Assert.Equal(expected, BitConverter.ToUInt64(s.Scratch, 8));
        Assert.Equal(X86Flags.ZF | X86Flags.CF, s.Rflags & (X86Flags.ZF | X86Flags.CF));
    }

    [Fact]
    public void Rep_movsb_copies_and_advances_with_DF_clear_and_set()
    {
        var layout = fixture.Layout;
        foreach (bool down in new[] { false, true })
        {
            var s = Run(ExecutionMode.Long64, a => a.rep.movsb(), st =>
            {
                st.Gpr[GprIndex.Rsi] = layout.ScratchAddress + 100;
                st.Gpr[GprIndex.Rdi] = layout.ScratchAddress + 200;
                st.Gpr[GprIndex.Rcx] = 4;
                if (down) st.Rflags |= X86Flags.DF;
                for (int i = 0; i < 8; i++) st.Scratch[96 + i] = (byte)(0xA0 + i);
            });
            Assert.Equal(0UL, s.Gpr[GprIndex.Rcx]);
            long step = down ? -4 : 4;
            Assert.Equal((ulong)((long)layout.ScratchAddress + 100 + step), s.Gpr[GprIndex.Rsi]);
            int from = down ? 97 : 100, to = down ? 197 : 200;
            for (int i = 0; i < 4; i++) Assert.Equal(s.Scratch[from + i], s.Scratch[to + i]);
            Assert.Equal(down ? X86Flags.DF : 0, s.Rflags & X86Flags.DF); // reported, then restored for .NET
        }
    }

    [Fact]
    public void Access_to_guard_page_below_scratch_is_page_fault_with_cr2()
    {
        var layout = fixture.Layout;
        var s = Run(ExecutionMode.Long64, a => a.mov(rax, __qword_ptr[rbx]), st => st.Gpr[GprIndex.Rbx] = layout.ScratchAddress - 8);
        Assert.Equal(FaultVectors.PageFault, s.FaultVector);
        Assert.Equal(layout.ScratchAddress - 8, s.FaultAddress);
        Assert.Equal(0x4UL, s.ErrorCode & 0x6); // SDM vol. 3A §4.7: U/S = 1 (user), W/R = 0 (read)
    }

    [Fact]
    public void Non_canonical_address_is_general_protection()
    {
        // SDM vol. 3A §3.3.7.1: a non-canonical data reference raises #GP(0).
        var s = Run(ExecutionMode.Long64, a => a.mov(rax, __qword_ptr[rbx]), st => st.Gpr[GprIndex.Rbx] = 0x8000_0000_0000_0000);
        Assert.Equal(FaultVectors.GeneralProtection, s.FaultVector);
        Assert.Equal(0UL, s.ErrorCode);
    }

    [Fact]
    public void Into_with_OF_set_is_overflow_trap_in_compat_mode()
    {
        var s = RunCompat(a => a.into(), st => st.Rflags |= X86Flags.OF);
        if (s is null) return;
        Assert.Equal(FaultVectors.Overflow, s.FaultVector);
    }

    [Fact]
    public void Managed_null_dereference_still_works_after_a_guest_fault()
    {
        Run(ExecutionMode.Long64, a => a.div(rbx));
        object? nothing = null;
        Assert.Throws<NullReferenceException>(() => nothing!.GetHashCode());
    }

    [Fact]
    public void Identical_input_gives_identical_output()
    {
        var catalog = new FormCatalog(fixture.Layout);
        var first = fixture.NewState();
        var second = fixture.NewState();
        int compared = 0;
        foreach (var c in catalog.Generate(ExecutionMode.Long64, statesPerForm: 3, seed: 7))
        {
            first.CopyFrom(c.Initial);
            second.CopyFrom(c.Initial);
            fixture.Executor.Execute(c.Mode, c.Code, first);
            fixture.Executor.Execute(c.Mode, c.Code, second);
            Assert.Equal(first.Gpr, second.Gpr);
            Assert.Equal(first.Rflags, second.Rflags);
            Assert.Equal(first.FaultVector, second.FaultVector);
            Assert.Equal(first.ErrorCode, second.ErrorCode);
            Assert.True(first.Scratch.AsSpan().SequenceEqual(second.Scratch));
            Assert.True(first.Stack.AsSpan().SequenceEqual(second.Stack));
            compared++;
        }
        Assert.True(compared > 1000);
    }
}
