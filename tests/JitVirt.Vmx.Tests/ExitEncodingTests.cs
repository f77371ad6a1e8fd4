using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.TestGuests;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// Guests trigger each kind of exit; the test checks the basic exit reason, exit qualification
/// (SDM vol.3C Tables 28-1 to 28-5), instruction length and interruption / IDT-vectoring information
/// (Table 25-19/25-20) against values computed here: the length by assembling the same instruction
/// alone, the qualification from the manual's bit layout written out in the test.
/// </summary>
public sealed class ExitEncodingTests
{
    const ulong Code = BareMetal.CodeAddress, Data = BareMetal.DataAddress;
    const uint Valid = 1u << 31, ErrorValid = 1u << 11;

    static int Len(Action<Assembler> insn) => VmxGuest.Encode(64, insn).Length;
    static ulong At(Action<Assembler> prefix) => Code + (ulong)VmxGuest.Encode(64, prefix).Length;

    /// <summary>Table 28-5 written out: size−1, IN, string, REP, immediate, port.</summary>
    static ulong IoQ(int size, bool @in, bool str, bool rep, bool imm, int port)
        => (ulong)(size - 1) + (@in ? 8ul : 0) + (str ? 16ul : 0) + (rep ? 32ul : 0) + (imm ? 64ul : 0) + ((ulong)port << 16);

    [Fact]
    public void CpuidAndHlt()
    {
        using var g = new VmxGuest(a => { a.cpuid(); a.hlt(); });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal((10, 0ul, Len(a => a.cpuid()), Code), (g.Exits[0].BasicReason, g.Exits[0].Qualification, (int)g.Exits[0].InstructionLength, g.Exits[0].GuestRip));
        Assert.Equal((12, Len(a => a.hlt()), Code + 2), (g.Exits[1].BasicReason, (int)g.Exits[1].InstructionLength, g.Exits[1].GuestRip));
    }

    [Fact]
    public void IoInstructionQualifications()
    {
        Action<Assembler> prefix1 = a => { a.mov(dx, 0x3F8); };
        using var g = new VmxGuest(a =>
        {
            a.mov(dx, 0x3F8); a.@in(eax, dx);
            a.mov(al, 0x5A); a.@out(0x80, al);
            a.mov(ax, 0x1234); a.@out(dx, ax);
            a.mov(rsi, Data); a.mov(ecx, 3); a.rep.outsb();
            a.mov(rdi, Data + 0x10); a.insw();
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var io = g.Exits.Where(e => e.BasicReason == 30).ToList();
        Assert.Equal(IoQ(4, true, false, false, false, 0x3F8), io[0].Qualification);
        Assert.Equal(Len(a => a.@in(eax, dx)), (int)io[0].InstructionLength);
        Assert.Equal(At(prefix1), io[0].GuestRip);
        Assert.Equal(IoQ(1, false, false, false, true, 0x80), io[1].Qualification);
        Assert.Equal(Len(a => a.@out(0x80, al)), (int)io[1].InstructionLength);
        Assert.Equal(IoQ(2, false, false, false, false, 0x3F8), io[2].Qualification);
        Assert.Equal(Len(a => a.@out(dx, ax)), (int)io[2].InstructionLength);
        Assert.Equal(IoQ(1, false, true, true, false, 0x3F8), io[3].Qualification);
        Assert.Equal(Len(a => a.rep.outsb()), (int)io[3].InstructionLength);
        Assert.Equal(Data, io[3].GuestLinearAddress);                           // seg:rSI of OUTS
        var ins = io.Last();
        Assert.Equal(IoQ(2, true, true, false, false, 0x3F8), ins.Qualification);
        Assert.Equal(Data + 0x10, ins.GuestLinearAddress);                      // ES:rDI of INS
        // The handler did the I/O on the machine's bus.
        Assert.Contains((ushort)0x80, g.Ports.Accesses.Where(x => !x.IsIn && x.Value == 0x5A).Select(x => x.Port));
        Assert.Equal(3, g.Ports.Accesses.Count(x => x.Port == 0x3F8 && !x.IsIn && x.Size == 1));
        Assert.Equal(0xA5A5u, BitConverter.ToUInt16(g.Machine.Memory.RamSpan(Data + 0x10, 2)));
    }

    [Fact]
    public void ControlRegisterQualifications()
    {
        using var g = new VmxGuest(a =>
        {
            a.xor(eax, eax); a.mov(cr3, rax);                 // CR3-load exiting (a default-1 control)
            a.mov(rbx, cr3);                                  // CR3-store exiting
            a.mov(ecx, 5); a.mov(cr8, rcx);                   // CR8-load exiting
            a.mov(rdx, cr8);                                  // CR8-store exiting
            a.mov(rsi, cr0); a.xor(esi, 1 << 16); a.mov(cr0, rsi); // CR0.WP is host-owned: exits
            a.clts();                                         // TS masked and set in the shadow (below): exits
            a.mov(ax, 9); a.lmsw(ax);                         // sets TS against a clear shadow: exits
            a.mov(rdi, Data); a.mov(__word_ptr[rdi], 1); a.lmsw(__word_ptr[rdi]);   // clears it again, memory operand
            a.hlt();
        });
        g.Vmwrite(VmcsField.Cr0GuestHostMask, g.Vmread(VmcsField.Cr0GuestHostMask) | 8);
        g.Vmwrite(VmcsField.Cr0ReadShadow, g.Vmread(VmcsField.Cr0ReadShadow) | 8);
        Assert.Equal(StopReason.Halted, g.Run());
        var cr = g.Exits.Where(e => e.BasicReason == 28).ToList();
        // Table 28-3: 3:0 CR, 5:4 type (0 to, 1 from, 2 CLTS, 3 LMSW), 6 LMSW memory, 11:8 GPR, 31:16 LMSW source.
        Assert.Equal(3ul | (0ul << 4) | (0ul << 8), cr[0].Qualification);
        Assert.Equal(Len(a => a.mov(cr3, rax)), (int)cr[0].InstructionLength);
        Assert.Equal(3ul | (1ul << 4) | (3ul << 8), cr[1].Qualification);
        Assert.Equal(8ul | (0ul << 4) | (1ul << 8), cr[2].Qualification);
        Assert.Equal(Len(a => a.mov(cr8, rcx)), (int)cr[2].InstructionLength);
        Assert.Equal(8ul | (1ul << 4) | (2ul << 8), cr[3].Qualification);
        Assert.Equal(5ul, g.Cpu.Gpr[2]);                                         // MOV from CR8 gave what MOV to CR8 put
        Assert.Equal(0ul | (0ul << 4) | (6ul << 8), cr[4].Qualification);
        Assert.Equal(0ul | (2ul << 4), cr[5].Qualification);
        Assert.Equal(Len(a => a.clts()), (int)cr[5].InstructionLength);
        Assert.Equal(0ul | (3ul << 4) | (9ul << 16), cr[6].Qualification);
        Assert.Equal(0ul | (3ul << 4) | (1ul << 6) | (1ul << 16), cr[7].Qualification);
        Assert.Equal(Data, cr[7].GuestLinearAddress);
        Assert.Equal(Len(a => a.lmsw(__word_ptr[rdi])), (int)cr[7].InstructionLength);
        Assert.Equal(8, cr.Count);
    }

    [Fact]
    public void Cr0ReadsComeFromTheShadowWithoutAnExit()
    {
        using var g = new VmxGuest(a => { a.mov(rax, cr0); a.smsw(ebx); a.hlt(); });
        ulong shadow = g.Vmread(VmcsField.Cr0ReadShadow), mask = g.Vmread(VmcsField.Cr0GuestHostMask), real = g.Vmread(VmcsField.GuestCr0);
        Assert.NotEqual(shadow & mask, real & mask);                             // NE is fixed to 1 in the real CR0, 0 in the guest's
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(new[] { 12 }, g.Exits.Select(e => e.BasicReason).ToArray());
        Assert.Equal((real & ~mask) | (shadow & mask), g.Cpu.Gpr[0]);
        Assert.Equal((uint)((real & ~mask) | (shadow & mask)), (uint)g.Cpu.Gpr[3]);
    }

    [Fact]
    public void MovDrQualificationsAndCompleteEmulation()
    {
        using var g = new VmxGuest(a => { a.mov(rax, 0x1234_5678); a.mov(dr0, rax); a.mov(rdx, dr7); a.mov(rcx, dr0); a.hlt(); });
        Assert.Equal(StopReason.Halted, g.Run());
        var dr = g.Exits.Where(e => e.BasicReason == 29).ToList();
        // Table 28-4: 2:0 DR, 4 direction (1 = from DR), 11:8 GPR.
        Assert.Equal(0ul | (0ul << 4) | (0ul << 8), dr[0].Qualification);
        Assert.Equal(Len(a => a.mov(dr0, rax)), (int)dr[0].InstructionLength);
        Assert.Equal(7ul | (1ul << 4) | (2ul << 8), dr[1].Qualification);
        Assert.Equal(0ul | (1ul << 4) | (1ul << 8), dr[2].Qualification);
        Assert.Equal(0x400ul, g.Cpu.Gpr[2]);                                     // DR7's reset value
        Assert.Equal(0x1234_5678ul, g.Cpu.Gpr[1]);                               // DR0 kept (2.6.20 would have read 0)
    }

    [Fact]
    public void InvlpgQualificationIsTheLinearAddress()
    {
        using var g = new VmxGuest(a => { a.mov(rax, 0x12_3000); a.invlpg(__[rax + 0x10]); a.hlt(); });
        g.SetProcControl(ProcControls.InvlpgExiting, true);
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Exits.Single(x => x.BasicReason == 14);
        Assert.Equal(0x12_3010ul, e.Qualification);
        Assert.Equal(Len(a => a.invlpg(__[rax + 0x10])), (int)e.InstructionLength);
    }

    [Fact]
    public void RdtscExitingAndTscOffsetting()
    {
        using var g = new VmxGuest(a => { a.rdtsc(); a.mov(rbx, rax); a.nop(); a.rdtsc(); a.hlt(); });
        g.Vmwrite(VmcsField.TscOffset, 1_000_000);
        g.SetProcControl(ProcControls.RdtscExiting, true);
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Exits.First(x => x.BasicReason == 16);
        Assert.Equal(Len(a => a.rdtsc()), (int)e.InstructionLength);
        // The time source counts retired instructions: none before the first RDTSC, three before the second.
        Assert.Equal(1_000_000ul, g.Cpu.Gpr[3]);
        Assert.Equal(1_000_003ul, (g.Cpu.Gpr[2] << 32) | (uint)g.Cpu.Gpr[0]);
    }

    [Fact]
    public void TscOffsettingWithoutExiting()
    {
        using var g = new VmxGuest(a => { a.nop(); a.nop(); a.rdtsc(); a.hlt(); });
        g.Vmwrite(VmcsField.TscOffset, 5000);
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.DoesNotContain(g.Exits, x => x.BasicReason == 16);
        Assert.Equal(5002ul, (g.Cpu.Gpr[2] << 32) | (uint)g.Cpu.Gpr[0]);
    }

    [Fact]
    public void MsrExitsAndTheMsrBitmap()
    {
        using var g = new VmxGuest(a =>
        {
            a.mov(ecx, 0x174); a.rdmsr();            // bitmap bit clear: no exit
            a.mov(ecx, 0xC000_0080); a.rdmsr();      // bit set in the read-high quarter: exit
            a.mov(ecx, 0x175); a.xor(eax, eax); a.xor(edx, edx); a.wrmsr();   // write-low bit set: exit
            a.hlt();
        });
        ulong page = g.Vmx.MsrBitmapPage;
        g.Vmx.Hardware.Memory.WriteBit(page, (0x400 + 0x80 / 8) * 8 + 0, true);   // read-high quarter, EFER (80h): byte 410h bit 0
        g.Vmx.Hardware.Memory.WriteBit(page, (0x800 + 0x175 / 8) * 8 + 5, true);  // write-low quarter, 175h: byte 82Eh bit 5
        g.SetProcControl(ProcControls.UseMsrBitmaps, true);
        Assert.Equal(StopReason.Halted, g.Run());
        var msr = g.Exits.Where(e => e.BasicReason is 31 or 32).ToList();
        Assert.Equal(new[] { 31, 32 }, msr.Select(e => e.BasicReason).ToArray());
        Assert.Equal(Len(a => a.rdmsr()), (int)msr[0].InstructionLength);
        Assert.Equal(Len(a => a.wrmsr()), (int)msr[1].InstructionLength);
    }

    [Fact]
    public void WithoutAnMsrBitmapEveryMsrAccessExits()
    {
        using var g = new VmxGuest(a => { a.mov(ecx, 0x174); a.rdmsr(); a.wrmsr(); a.hlt(); });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(new[] { 31, 32, 12 }, g.Exits.Select(e => e.BasicReason).ToArray());
    }

    [Fact]
    public void IoBitmapsSelectThePortsThatExit()
    {
        using var g = new VmxGuest(a =>
        {
            a.mov(al, 1); a.@out(0x80, al); a.@out(0x81, al);
            a.mov(dx, 0x8001); a.@out(dx, al); a.mov(dx, 0x8002); a.@out(dx, al);
            a.hlt();
        });
        var mem = g.Vmx.Hardware.Memory;
        mem.WriteBit(g.Vmx.IoBitmapA, 0x80, true);
        mem.WriteBit(g.Vmx.IoBitmapB, 0x8001 - 0x8000, true);
        g.SetProcControl(ProcControls.UseIoBitmaps, true);
        Assert.Equal(StopReason.Halted, g.Run());
        var io = g.Exits.Where(e => e.BasicReason == 30).Select(e => (int)(e.Qualification >> 16)).ToArray();
        Assert.Equal(new[] { 0x80, 0x8001 }, io);
        Assert.Equal(new ushort[] { 0x80, 0x81, 0x8001, 0x8002 }, g.Ports.Accesses.Select(x => x.Port).ToArray());
    }

    [Fact]
    public void ExceptionExitsCarryInterruptionInformation()
    {
        using var g = new VmxGuest(a => { a.int3(); }, setup: GuestTables.Install);
        g.Vmwrite(VmcsField.ExceptionBitmap, (1 << 3) | (1 << 14));
        g.Run(50);
        var e = g.Exits[0];
        Assert.Equal(0, e.BasicReason);
        Assert.Equal(Valid | (6u << 8) | 3u, e.InterruptionInfo);                 // type 6: software exception
        Assert.Equal(Len(a => a.int3()), (int)e.InstructionLength);
    }

    [Fact]
    public void UndefinedOpcodeAndGeneralProtectionExits()
    {
        using var g = new VmxGuest(a => { a.ud2(); }, setup: GuestTables.Install);
        g.Vmwrite(VmcsField.ExceptionBitmap, (1 << 6) | (1 << 14));
        g.Run(50);
        Assert.Equal(Valid | (3u << 8) | 6u, g.Exits[0].InterruptionInfo);        // hardware exception, no error code

        using var h = new VmxGuest(a => { a.mov(rbx, 0x8000_0000_0000_0000); a.mov(rax, __qword_ptr[rbx]); }, setup: GuestTables.Install);
        h.Vmwrite(VmcsField.ExceptionBitmap, (1 << 13) | (1 << 14));
        h.Run(50);
        var gp = h.Exits[0];
        Assert.Equal(Valid | ErrorValid | (3u << 8) | 13u, gp.InterruptionInfo);
        Assert.Equal(0u, gp.InterruptionErrorCode);
        Assert.Equal(At(a => a.mov(rbx, 0x8000_0000_0000_0000)), gp.GuestRip);
    }

    [Fact]
    public void PageFaultIsReflectedAndEscalatesToDoubleFaultThenShutdown()
    {
        const ulong hole = 0x20_0000;
        using var g = new VmxGuest(a => { a.push(rax); a.hlt(); }, new HoleTranslator(hole, hole + 0x1000), setup: cpu =>
        {
            GuestTables.Install(cpu);
            GuestTables.Gate(cpu, 14, BareMetal.CodeAddress + 0x800);
            GuestTables.Gate(cpu, 8, BareMetal.CodeAddress + 0x800);
            cpu.Gpr[4] = hole + 0x800;                                            // the stack is in the hole
        });
        Assert.Equal(StopReason.Shutdown, g.Run());
        var pf = g.Exits.Where(e => e.BasicReason == 0).ToList();
        Assert.Equal(Valid | ErrorValid | (3u << 8) | 14u, pf[0].InterruptionInfo);
        Assert.Equal(2u, pf[0].InterruptionErrorCode);                           // write, not present
        Assert.Equal(hole + 0x800 - 8, pf[0].Qualification);                     // CR2 of the push
        Assert.Equal(0u, pf[0].IdtVectoringInfo);
        Assert.Equal(Valid | ErrorValid | (3u << 8) | 14u, pf[1].IdtVectoringInfo);   // #PF while delivering the reflected #PF → #DF
        Assert.Equal(2u, pf[1].IdtVectoringErrorCode);
        Assert.Equal(Valid | ErrorValid | (3u << 8) | 8u, pf[2].IdtVectoringInfo);     // #PF while delivering #DF → triple fault
        Assert.Equal(0u, pf[2].IdtVectoringErrorCode);
        Assert.Equal(3, pf.Count);
        Assert.Equal(hole + 0x800 - 8, g.Cpu.Cr2);
    }

    [Fact]
    public void ExitDuringSoftwareInterruptDeliveryRecordsIdtVectoringAndLength()
    {
        const ulong hole = 0x20_0000;
        using var g = new VmxGuest(a => { a.@int(0x30); a.hlt(); }, new HoleTranslator(hole, hole + 0x1000), setup: cpu =>
        {
            GuestTables.Install(cpu);
            GuestTables.Gate(cpu, 0x30, BareMetal.CodeAddress + 0x800);
            cpu.Gpr[4] = hole + 0x800;
        });
        g.Run(50);
        var e = g.Exits[0];
        Assert.Equal(0, e.BasicReason);
        Assert.Equal(Valid | ErrorValid | (3u << 8) | 14u, e.InterruptionInfo);
        Assert.Equal(Valid | (4u << 8) | 0x30u, e.IdtVectoringInfo);               // type 4: software interrupt
        Assert.Equal(Len(a => a.@int(0x30)), (int)e.InstructionLength);
        Assert.Equal(Code, e.GuestRip);
    }
}
