/* The machine's floating-point peak, measured: every thread runs CHAINS independent chains of fused
 * multiply-adds (acc = acc * m + a) on the widest vectors of an instruction set, so that the FMA units
 * never wait for a result. Twelve chains cover the latency (4 cycles) of two FMA pipes with room to
 * spare; fewer leave the pipes idle. Built by bench/run.py with `gcc -O3` (at -O2 gcc kept the
 * accumulators in memory and measured half the peak) and loaded with ctypes. Each instruction set is
 * compiled into its own function (target attributes) and run only where CPUID says the CPU has it.
 */
#include <immintrin.h>
#include <pthread.h>

#define CHAINS 12

/* Kernels: float32 on each instruction set's vectors, and float64 on AVX-512's (for float64 peaks). */
enum { ISA_SSE2, ISA_AVX2, ISA_AVX512, ISA_AVX512_FLOAT64 };

/* Each function returns a sum of its accumulators, so that the compiler cannot drop the loop. */
static float chains_sse2(long iterations) {
    __m128 acc[CHAINS], m = _mm_set1_ps(0.999999f), a = _mm_set1_ps(1e-6f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm_set1_ps((float)c);
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], m), a); /* no FMA in SSE2 */
    }
    float lanes[4], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        _mm_storeu_ps(lanes, acc[c]);
        for (int j = 0; j < 4; j++) sum += lanes[j];
    }
    return sum;
}

__attribute__((target("avx2,fma"))) static float chains_avx2(long iterations) {
    __m256 acc[CHAINS], m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-6f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
    }
    float lanes[8], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        _mm256_storeu_ps(lanes, acc[c]);
        for (int j = 0; j < 8; j++) sum += lanes[j];
    }
    return sum;
}

__attribute__((target("avx512f"))) static float chains_avx512(long iterations) {
    __m512 acc[CHAINS], m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], m, a);
    }
    float sum = 0;
    for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_ps(acc[c]);
    return sum;
}

__attribute__((target("avx512f"))) static float chains_avx512_float64(long iterations) {
    __m512d acc[CHAINS], m = _mm512_set1_pd(0.999999), a = _mm512_set1_pd(1e-6);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_pd((double)c);
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_pd(acc[c], m, a);
    }
    double sum = 0;
    for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_pd(acc[c]);
    return (float)sum;
}

/* Whether this CPU (and its operating system) can run the instruction set `isa`. */
int fma_peak_supported(int isa) {
    __builtin_cpu_init();
    switch (isa) {
    case ISA_SSE2: return __builtin_cpu_supports("sse2");
    case ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ISA_AVX512:
    case ISA_AVX512_FLOAT64: return __builtin_cpu_supports("avx512f");
    default: return 0;
    }
}

/* Floating-point operations of one iteration of one thread: a multiply and an add per lane and chain. */
long fma_peak_flops_per_iteration(int isa) {
    int lanes = isa == ISA_AVX512 ? 16 : isa == ISA_AVX2 || isa == ISA_AVX512_FLOAT64 ? 8 : 4;
    return 2L * lanes * CHAINS;
}

typedef struct {
    int isa;
    long iterations;
    const int *go; /* set once every thread exists: they start together */
    float result;
} Job;

static void *run_job(void *context) {
    Job *job = context;
    while (!__atomic_load_n(job->go, __ATOMIC_ACQUIRE)) {
    }
    switch (job->isa) {
    case ISA_AVX512_FLOAT64: job->result = chains_avx512_float64(job->iterations); break;
    case ISA_AVX512: job->result = chains_avx512(job->iterations); break;
    case ISA_AVX2: job->result = chains_avx2(job->iterations); break;
    default: job->result = chains_sse2(job->iterations);
    }
    return NULL;
}

/* Runs `iterations` on each of `threads` threads (the caller's included, at most 256), started together;
 * returns 0, or -1 when the instruction set is missing or a thread could not start. The caller times it. */
int fma_peak_run(int isa, int threads, long iterations) {
    if (!fma_peak_supported(isa) || threads < 1 || threads > 256) return -1;
    pthread_t ids[256];
    Job jobs[256];
    int go = 0, started = 0, failed = 0;
    for (; started < threads - 1; started++) {
        jobs[started] = (Job){isa, iterations, &go, 0};
        if (pthread_create(&ids[started], NULL, run_job, &jobs[started]) != 0) {
            failed = 1;
            break;
        }
    }
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    jobs[threads - 1] = (Job){isa, iterations, &go, 0};
    if (!failed) run_job(&jobs[threads - 1]);
    for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
    return failed ? -1 : 0;
}
