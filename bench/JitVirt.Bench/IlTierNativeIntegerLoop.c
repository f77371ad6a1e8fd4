/* The IL-tier benchmarks' integer loop (tests/JitVirt.TestGuests/ComputeGuests.IntegerLoop) in C,
 * for the native reference figure: gcc -O2 bench/JitVirt.Bench/IlTierNativeIntegerLoop.c -o /tmp/integer_loop && /tmp/integer_loop
 * The guest loop is 11 instructions per iteration (10 ALU + JMP); the figure printed is ns per
 * guest-loop instruction, i.e. wall time / (iterations * 11), best of 5 runs. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

int main(void)
{
    const long iterations = 200000000;
    double best = 1e30;
    uint64_t sink = 0;
    for (int run = 0; run < 5; run++) {
        uint64_t rax = 0x9E3779B97F4A7C15ull, rbx = 12345, rcx = 0, rdx;
        double t0 = now();
        for (long i = 0; i < iterations; i++) {
            rdx = rax << 13; rax ^= rdx;
            rdx = rax >> 7;  rax ^= rdx;
            rbx *= 0x41C6;   rbx += rax;
            rcx = rcx + rbx * 2 + 1; rcx -= rax;
            __asm__ volatile("" : "+r"(rax), "+r"(rbx), "+r"(rcx)); /* keep one iteration per guest iteration */
        }
        double t = now() - t0;
        if (t < best) best = t;
        sink ^= rax ^ rbx ^ rcx;
    }
    printf("native gcc -O2: %.3f ns per guest-loop instruction (%.0f MIPS), checksum %llx\n",
           best / (iterations * 11.0), iterations * 11.0 / best * 1e3, (unsigned long long)sink);
    return 0;
}
