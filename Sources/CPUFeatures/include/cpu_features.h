#ifndef ATELIER_CPU_FEATURES_H
#define ATELIER_CPU_FEATURES_H

/// 1 when the CPU and the operating system both support AVX2 and FMA (x86-64-v3 level), else 0.
int atelier_cpu_has_avx2_fma(void);
/// 1 when the CPU and the operating system both support AVX-512 F/BW/DQ/VL, else 0.
int atelier_cpu_has_avx512(void);

#endif
