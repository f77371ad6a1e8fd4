using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Machine.Guests;

/// <summary>One built-in compute guest: a name, what it exercises, and its flat image (see <see cref="LongModeGuestImage"/>).</summary>
public sealed record LongModeComputeGuest(string Name, string Description, Action<Assembler> Workload)
{
    public byte[] BuildImage() => LongModeGuestImage.Build(Name, Workload);
}

/// <summary>
/// Bounded 64-bit compute guests for the regression gate and the whole-machine benchmarks: the same three
/// kinds of work as the endless bare-metal loops the tests and micro-benchmarks use (integer mix, memory
/// copy, data-dependent branches), each run a fixed number of times and ending with a checksum on COM1,
/// plus one loop of instructions every front end intercepts (CPUID, port I/O), so the exit path is
/// measured too. A few million instructions each, so all of them fit in CI time.
/// </summary>
public static class LongModeComputeGuests
{
    public const int IntegerIterations = 200_000;
    public const int CopyPasses = 12;
    public const int BranchyIterations = 150_000;
    public const int ExitIterations = 2_000;
    /// <summary>Source and destination of the memory copy (64 KiB each, inside the identity-mapped 2 MiB).</summary>
    public const ulong CopySource = 0x20_000, CopyDestination = 0x30_000;
    const int CopyQwords = 0x10000 / 8;
    /// <summary>POST-code port: no device behind it, so an OUT there is a pure exit round trip.</summary>
    const byte PostPort = 0x80;

    public static IReadOnlyList<LongModeComputeGuest> All { get; } =
    [
        new("integer", "xorshift/LCG mix in registers (ADD, XOR, SHL/SHR, IMUL, LEA)", IntegerMix),
        new("memcopy", "64 KiB buffer filled, copied 8 bytes at a time, then summed", MemoryCopy),
        new("branchy", "data-dependent conditional branches on an LCG sequence", Branchy),
        new("exits", "CPUID and OUT to port 80h in a loop (an exit each)", ExitLoop),
    ];

    /// <summary>Integer mix; RAX = rax ^ rbx ^ rcx at the end.</summary>
    static void IntegerMix(Assembler a)
    {
        var top = a.CreateLabel();
        ComputeKernels.IntegerSetup(a);
        a.mov(r8d, IntegerIterations);
        a.Label(ref top);
        ComputeKernels.IntegerStep(a);
        a.dec(r8d);
        a.jnz(top);
        a.xor(rax, rbx);
        a.xor(rax, rcx);
    }

    /// <summary>Fill the source with i * golden ratio, copy it <see cref="CopyPasses"/> times, RAX = rotate-add sum of the destination.</summary>
    static void MemoryCopy(Assembler a)
    {
        var fill = a.CreateLabel();
        var pass = a.CreateLabel();
        var sum = a.CreateLabel();
        a.mov(rdi, (long)CopySource);
        a.mov(rax, 0x9E3779B97F4A7C15);
        a.xor(edx, edx);
        a.mov(ecx, CopyQwords);
        a.Label(ref fill);
        a.add(rdx, rax);
        a.mov(__qword_ptr[rdi], rdx);
        a.add(rdi, 8);
        a.dec(ecx);
        a.jnz(fill);
        a.mov(r8d, CopyPasses);
        a.Label(ref pass);
        ComputeKernels.CopyQwords(a, CopySource, CopyDestination, CopyQwords);
        a.dec(r8d);
        a.jnz(pass);
        a.mov(rsi, (long)CopyDestination);
        a.xor(eax, eax);
        a.mov(ecx, CopyQwords);
        a.Label(ref sum);
        a.rol(rax, 5);
        a.add(rax, __qword_ptr[rsi]);
        a.add(rsi, 8);
        a.dec(ecx);
        a.jnz(sum);
    }

    /// <summary>Branchy LCG walk; RAX = edx:ebx at the end.</summary>
    static void Branchy(Assembler a)
    {
        var top = a.CreateLabel();
        ComputeKernels.BranchySetup(a);
        a.mov(r8d, BranchyIterations);
        a.Label(ref top);
        ComputeKernels.BranchyStep(a);
        a.dec(r8d);
        a.jnz(top);
        a.shl(rdx, 32);
        a.mov(eax, ebx);
        a.or(rax, rdx);
    }

    /// <summary>CPUID leaf 0 and an OUT to port 80h per iteration; RAX = running sum of the CPUID results.</summary>
    static void ExitLoop(Assembler a)
    {
        var top = a.CreateLabel();
        a.xor(r9d, r9d);
        a.mov(r8d, ExitIterations);
        a.Label(ref top);
        a.xor(eax, eax);
        a.cpuid();
        a.add(r9, rax);
        a.add(r9, rbx);
        a.mov(eax, r8d);
        a.@out(PostPort, al);
        a.dec(r8d);
        a.jnz(top);
        a.mov(rax, r9);
    }
}
