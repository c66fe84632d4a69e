#ifndef ATELIER_CPU_FEATURES_H
#define ATELIER_CPU_FEATURES_H

/// 1 when the CPU and the operating system both support AVX2 and FMA (x86-64-v3 level), else 0.
int atelier_cpu_has_avx2_fma(void);
/// 1 when the CPU and the operating system both support AVX-512 F/BW/DQ/VL, else 0.
int atelier_cpu_has_avx512(void);
/// Sets flush-to-zero and denormals-are-zero for the calling thread (MXCSR is per thread).
/// Subnormal floats cost over a hundred cycles per operation on x86; instance norm of a flat
/// image region produces them. A no-op off x86.
void atelier_flush_denormals(void);
/// The CPU the calling thread runs on now (Linux `sched_getcpu`), or -1 where unknown.
int atelier_current_cpu(void);
/// Moves the calling thread off `cpu`: its affinity becomes the CPUs the process was allowed at
/// its first call, less `cpu` (Linux `sched_setaffinity`, which migrates it at once). 0 on
/// success, -1 where that leaves no CPU or is not supported.
int atelier_move_off_cpu(int cpu);
/// The `pause` hint for a thread spinning on a flag (the worker pool's helpers): it saves power
/// and frees the core for its sibling thread. A no-op off x86.
static inline void atelier_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
