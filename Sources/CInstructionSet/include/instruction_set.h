#ifndef SGDSWIFT_INSTRUCTION_SET_H
#define SGDSWIFT_INSTRUCTION_SET_H

/* The vector instruction sets the elementwise kernels are compiled for, narrowest first:
 *   baseline  any x86-64 (SSE2), and every other architecture
 *   avx2      AVX2 + FMA and the rest of x86-64-v3 (BMI1/2, F16C, LZCNT, MOVBE)
 *   avx512    x86-64-v3 + AVX-512 F, CD, BW, DQ, VL (x86-64-v4) */
typedef enum {
    SGD_ISA_BASELINE = 0,
    SGD_ISA_AVX2 = 1,
    SGD_ISA_AVX512 = 2,
    SGD_ISA_INVALID = -1,
} sgd_isa;

/* The widest set this CPU has and the operating system saves the registers of (CPUID and XGETBV,
 * never /proc/cpuinfo, which an emulator or a container may not tell truly). */
sgd_isa sgd_isa_detected(void);

/* The set named by the environment variable SGDSWIFT_ISA ("baseline", "avx2", "avx512"), read and
 * never written; SGD_ISA_INVALID when it is unset, empty or names no set. */
sgd_isa sgd_isa_requested(void);

/* The set sgdswift runs: the requested one when it is valid and the CPU has it, else the detected one.
 * (The Python package refuses an invalid or unsupported request at import with a clear error; this
 * fallback only keeps code that runs before it, such as the engine's start-up, safe.) */
sgd_isa sgd_isa_selected(void);

/* "baseline", "avx2" or "avx512". */
const char *sgd_isa_name(sgd_isa isa);

#endif
