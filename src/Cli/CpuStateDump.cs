using System.Runtime.Intrinsics;
using System.Text;
using JitVirt.Cpu.State;

namespace JitVirt.Cli;

/// <summary>
/// QEMU's x86_cpu_dump_state (target/i386/cpu-dump.c), the register dump of <c>-d cpu_reset</c> (with the
/// FPU part) and of <c>-d int</c> (without). Segment "flags" are rebuilt in QEMU's layout (descriptor
/// bits 32-63 masked with 00FFFF00h: type/S/DPL/P at 8-15, limit 19:16 at 16-19, AVL/L/D-B/G at 20-23).
/// Departures: no CCS/CCD/CCO line (JitVirt keeps flags, not lazy condition codes), SMM is always 0.
/// </summary>
public static class CpuStateDump
{
    private const ulong EferLma = 1ul << 10; // AMD APM vol.2 §3.1.7; SDM vol.3 §2.2.1
    private const ulong Cr0Pe = 1;

    public static string Format(JitVirt.Cpu.Cpu cpu, bool includeFpu)
    {
        var s = new StringBuilder();
        bool lma = (cpu.Efer & EferLma) != 0;
        bool cs64 = lma && cpu.Segments[SegmentIndex.Cs].IsLong;
        bool pe = (cpu.Cr0 & Cr0Pe) != 0;
        ulong rflags = cpu.GetRflags();
        uint eflags = (uint)rflags;
        string flagLetters = new([
            (eflags & Rflags.DF) != 0 ? 'D' : '-', (eflags & Rflags.OF) != 0 ? 'O' : '-', (eflags & Rflags.SF) != 0 ? 'S' : '-',
            (eflags & Rflags.ZF) != 0 ? 'Z' : '-', (eflags & Rflags.AF) != 0 ? 'A' : '-', (eflags & Rflags.PF) != 0 ? 'P' : '-',
            (eflags & Rflags.CF) != 0 ? 'C' : '-']);
        string state = $"CPL={cpu.Cpl} II={(cpu.InterruptShadow ? 1 : 0)} A20={(cpu.A20Enabled ? 1 : 0)} SMM=0 HLT={(cpu.Halted ? 1 : 0)}";
        var r = cpu.Gpr;
        if (cs64)
        {
            s.Append($"RAX={r[Gpr.Rax]:x16} RBX={r[Gpr.Rbx]:x16} RCX={r[Gpr.Rcx]:x16} RDX={r[Gpr.Rdx]:x16}\n");
            s.Append($"RSI={r[Gpr.Rsi]:x16} RDI={r[Gpr.Rdi]:x16} RBP={r[Gpr.Rbp]:x16} RSP={r[Gpr.Rsp]:x16}\n");
            s.Append($"R8 ={r[8]:x16} R9 ={r[9]:x16} R10={r[10]:x16} R11={r[11]:x16}\n");
            s.Append($"R12={r[12]:x16} R13={r[13]:x16} R14={r[14]:x16} R15={r[15]:x16}\n");
            s.Append($"RIP={cpu.Rip:x16} RFL={eflags:x8} [{flagLetters}] {state}\n");
        }
        else
        {
            s.Append($"EAX={(uint)r[Gpr.Rax]:x8} EBX={(uint)r[Gpr.Rbx]:x8} ECX={(uint)r[Gpr.Rcx]:x8} EDX={(uint)r[Gpr.Rdx]:x8}\n");
            s.Append($"ESI={(uint)r[Gpr.Rsi]:x8} EDI={(uint)r[Gpr.Rdi]:x8} EBP={(uint)r[Gpr.Rbp]:x8} ESP={(uint)r[Gpr.Rsp]:x8}\n");
            s.Append($"EIP={(uint)cpu.Rip:x8} EFL={eflags:x8} [{flagLetters}] {state}\n");
        }
        string[] names = ["ES", "CS", "SS", "DS", "FS", "GS"];
        for (int i = 0; i < SegmentIndex.Count; i++) Segment(s, names[i], cpu.Segments[i], cs64, pe, lma);
        Segment(s, "LDT", cpu.Ldtr, cs64, pe, lma);
        Segment(s, "TR", cpu.Tr, cs64, pe, lma);
        if (lma)
        {
            s.Append($"GDT=     {cpu.Gdtr.Base:x16} {cpu.Gdtr.Limit:x8}\n");
            s.Append($"IDT=     {cpu.Idtr.Base:x16} {cpu.Idtr.Limit:x8}\n");
            s.Append($"CR0={(uint)cpu.Cr0:x8} CR2={cpu.Cr2:x16} CR3={cpu.Cr3:x16} CR4={(uint)cpu.Cr4:x8}\n");
            for (int i = 0; i < 4; i++) s.Append($"DR{i}={cpu.Dr[i]:x16} ");
            s.Append($"\nDR6={cpu.Dr[6]:x16} DR7={cpu.Dr[7]:x16}\n");
        }
        else
        {
            s.Append($"GDT=     {(uint)cpu.Gdtr.Base:x8} {cpu.Gdtr.Limit:x8}\n");
            s.Append($"IDT=     {(uint)cpu.Idtr.Base:x8} {cpu.Idtr.Limit:x8}\n");
            s.Append($"CR0={(uint)cpu.Cr0:x8} CR2={(uint)cpu.Cr2:x8} CR3={(uint)cpu.Cr3:x8} CR4={(uint)cpu.Cr4:x8}\n");
            // TARGET_FMT_lx is 16 digits in qemu-system-x86_64, whose dump this follows.
            for (int i = 0; i < 4; i++) s.Append($"DR{i}={cpu.Dr[i]:x16} ");
            s.Append($"\nDR6={cpu.Dr[6]:x16} DR7={cpu.Dr[7]:x16}\n");
        }
        s.Append($"EFER={cpu.Efer:x16}\n");
        if (includeFpu) Fpu(s, cpu, cs64);
        return s.ToString();
    }

    private static void Segment(StringBuilder s, string name, SegmentRegister sc, bool cs64, bool pe, bool lma)
    {
        uint ar = sc.AccessRights;
        uint rawLimit = (ar & SegmentRegister.Granularity) != 0 ? sc.Limit >> 12 : sc.Limit;
        uint flags = ((ar & 0xFF) << 8) | (((rawLimit >> 16) & 0xF) << 16) | (((ar >> 12) & 0xF) << 20);
        string label = name.PadRight(3);
        if (cs64) s.Append($"{label}={sc.Selector:x4} {sc.Base:x16} {sc.Limit:x8} {flags:x8}");
        else s.Append($"{label}={sc.Selector:x4} {(uint)sc.Base:x8} {sc.Limit:x8} {flags:x8}");
        if (pe && (ar & SegmentRegister.Present) != 0)
        {
            s.Append($" DPL={sc.Dpl} ");
            if ((ar & SegmentRegister.DescriptorTypeS) != 0)
            {
                if ((ar & SegmentRegister.TypeCode) != 0)
                {
                    s.Append(sc.IsLong ? "CS64" : sc.IsDefaultBig ? "CS32" : "CS16");
                    s.Append($" [{((ar & SegmentRegister.TypeConforming) != 0 ? 'C' : '-')}{((ar & SegmentRegister.TypeReadable) != 0 ? 'R' : '-')}");
                }
                else
                {
                    s.Append(sc.IsDefaultBig || lma ? "DS  " : "DS16");
                    s.Append($" [{((ar & SegmentRegister.TypeExpandDown) != 0 ? 'E' : '-')}{((ar & SegmentRegister.TypeWritable) != 0 ? 'W' : '-')}");
                }
                s.Append($"{((ar & SegmentRegister.TypeAccessed) != 0 ? 'A' : '-')}]");
            }
            else
            {
                s.Append((lma ? SystemTypes64 : SystemTypes32)[ar & SegmentRegister.TypeMask]);
            }
        }
        s.Append('\n');
    }

    // System descriptor types (SDM vol.3 §3.5, Table 3-2), in QEMU's spelling.
    private static readonly string[] SystemTypes32 =
    [
        "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
        "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32", "TrapGate32",
    ];

    private static readonly string[] SystemTypes64 =
    [
        "<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
        "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64", "Reserved", "IntGate64", "TrapGate64",
    ];

    private static void Fpu(StringBuilder s, JitVirt.Cpu.Cpu cpu, bool cs64)
    {
        int top = cpu.FpuTop;
        s.Append($"FCW={cpu.Fcw:x4} FSW={cpu.Fsw:x4} [ST={top}] FTW={cpu.FpuTagValid:x2} MXCSR={cpu.Mxcsr:x8}\n");
        for (int i = 0; i < 8; i++)
        {
            s.Append($"FPR{i}={cpu.FpuSignificand[i]:x16} {cpu.FpuSignExponent[i]:x4}");
            s.Append((i & 1) == 1 ? '\n' : ' ');
        }
        int count = cs64 ? 16 : 8;
        for (int i = 0; i < count; i++)
        {
            var x = cpu.Xmm[i].AsUInt64();
            s.Append($"XMM{i:d2}={x.GetElement(1):x16} {x.GetElement(0):x16}");
            s.Append((i & 1) == 1 ? '\n' : ' ');
        }
    }
}
