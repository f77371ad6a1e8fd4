using System.Text;
using JitVirt.Machine.Guests;

namespace JitVirt.Gate.Tests;

/// <summary>
/// The compute guests do the work they claim: each prints a checksum that is recomputed here in C#
/// from the algorithm, and the exit loop causes the exits its program implies.
/// </summary>
public class ComputeGuestTests
{
    static string Console(string guest, string frontEnd) => Encoding.ASCII.GetString(GateGuestRuns.Measure(guest, frontEnd).Console);

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void Integer_guest_prints_the_xorshift_lcg_mix(string frontEnd)
    {
        ulong rax = 0x9E3779B97F4A7C15, rbx = 12345, rcx = 0;
        for (int i = 0; i < LongModeComputeGuests.IntegerIterations; i++)
        {
            rax ^= rax << 13;
            rax ^= rax >> 7;
            rbx = unchecked(rbx * 0x41C6 + rax);
            rcx = unchecked(rcx + rbx * 2 + 1 - rax);
        }
        Assert.Equal($"integer: {rax ^ rbx ^ rcx:x16}\n", Console("integer", frontEnd));
    }

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void Memcopy_guest_prints_the_rotate_add_sum_of_the_copied_buffer(string frontEnd)
    {
        var buffer = new ulong[0x10000 / 8];
        ulong value = 0;
        for (int i = 0; i < buffer.Length; i++) buffer[i] = value = unchecked(value + 0x9E3779B97F4A7C15);
        ulong sum = 0;
        foreach (ulong q in buffer) sum = unchecked(ulong.RotateLeft(sum, 5) + q);
        Assert.Equal($"memcopy: {sum:x16}\n", Console("memcopy", frontEnd));
    }

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void Branchy_guest_prints_its_two_counters(string frontEnd)
    {
        uint eax = 1, ebx = 0, edx = 0;
        for (int i = 0; i < LongModeComputeGuests.BranchyIterations; i++)
        {
            eax = unchecked(eax * 1103515245 + 12345);
            ebx = (eax & 0x100) != 0 ? ebx - 1 : ebx + 3;
            if ((int)ebx < 1000) edx += 2;
            else { ebx = 0; edx++; }
        }
        Assert.Equal($"branchy: {((ulong)edx << 32) | ebx:x16}\n", Console("branchy", frontEnd));
    }

    [Theory]
    [InlineData("svm", "exit:cpuid", "exit:io")]
    [InlineData("vmx", "exit:CPUID", "exit:IO_INSTRUCTION")]
    public void Exit_loop_exits_once_per_cpuid_and_once_per_out(string frontEnd, string cpuidExit, string ioExit)
    {
        var m = GateGuestRuns.Measure("exits", frontEnd);
        Assert.Equal(LongModeComputeGuests.ExitIterations, m.Exact[cpuidExit]);
        // One OUT per iteration to port 80h, one per console byte ("exits: " + 16 digits + "\n"), one to isa-debug-exit.
        int consoleBytes = "exits: ".Length + 16 + 1;
        Assert.Equal(consoleBytes, m.Console.Length);
        Assert.Equal(LongModeComputeGuests.ExitIterations + consoleBytes + 1, m.Exact[ioExit]);
    }
}
