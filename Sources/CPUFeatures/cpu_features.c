// Run-time CPU feature detection for choosing kernels: cpuid says what the processor has,
// xgetbv says whether the OS saves the wider registers on context switches (without that,
// using them corrupts state). Non-x86 builds report no features.
#define _GNU_SOURCE
#include <sched.h>
#include "cpu_features.h"

int atelier_current_cpu(void) {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

#if defined(__linux__)
#include <pthread.h>
// The CPUs the process may use, read once, before any thread has narrowed its own mask.
static cpu_set_t allowed_cpus;
static int allowed_cpus_known = 0;
static pthread_once_t allowed_cpus_once = PTHREAD_ONCE_INIT;
static void read_allowed_cpus(void) { allowed_cpus_known = sched_getaffinity(0, sizeof allowed_cpus, &allowed_cpus) == 0; }
#endif

int atelier_move_off_cpu(int cpu) {
#if defined(__linux__)
    pthread_once(&allowed_cpus_once, read_allowed_cpus);
    if (!allowed_cpus_known) return -1;
    cpu_set_t mask = allowed_cpus;
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_CLR(cpu, &mask);
    if (CPU_COUNT(&mask) == 0) return -1;
    return sched_setaffinity(0, sizeof mask, &mask) == 0 ? 0 : -1;
#else
    (void)cpu;
    return -1;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int os_saves_avx(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    return osxsave && (xcr0() & 0x6) == 0x6;            // XMM and YMM state
}

int atelier_cpu_has_avx2_fma(void) {
    unsigned int a, b, c, d;
    if (!os_saves_avx()) return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    return fma && avx2;
}

int atelier_cpu_has_avx512(void) {
    unsigned int a, b, c, d;
    if (!atelier_cpu_has_avx2_fma()) return 0;
    if ((xcr0() & 0xe6) != 0xe6) return 0;              // plus opmask and ZMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    return f && dq && bw && vl;
}

#include <xmmintrin.h>
void atelier_flush_denormals(void) {
    _mm_setcsr(_mm_getcsr() | 0x8040);   /* FTZ (bit 15) | DAZ (bit 6) */
}
#else
int atelier_cpu_has_avx2_fma(void) { return 0; }
int atelier_cpu_has_avx512(void) { return 0; }
void atelier_flush_denormals(void) {}
#endif
