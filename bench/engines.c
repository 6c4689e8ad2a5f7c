/* Matrix-engine harness for bench/ENGINES.md: times sgdswift's GEMM shapes on one engine.
 *
 * One binary per engine (built by bench/engines.sh with -DENGINE_xxx), because several of the candidate
 * libraries export the same cblas_* symbols and must not be linked into one process.
 * Usage:  engines_<name> THREADS [SECONDS_PER_CASE]   -> tab-separated result lines on stdout
 *         engines_peak [SECONDS]                       -> FMA peak (float32 via bench/fma_peak.c, float64 here)
 * Every product is row-major C[m x n] = op(A) . op(B) with alpha = 1, beta = 0.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(ENGINE_OPENBLAS)
#include <cblas.h>
#define ENGINE_NAME "openblas-debian"
#elif defined(ENGINE_SCIPY)
#include <cblas.h> /* the wheel's header: every symbol carries the scipy_ prefix */
#define ENGINE_NAME "scipy-openblas32"
#elif defined(ENGINE_BLIS)
#include <blis.h>
#define ENGINE_NAME "blis"
#elif defined(ENGINE_XSMM)
#include <libxsmm.h>
#define ENGINE_NAME "libxsmm"
#elif defined(ENGINE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#define ENGINE_NAME "onednn"
#elif defined(ENGINE_PEAK)
#define ENGINE_NAME "peak"
#else
#error "define one ENGINE_xxx"
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((unused)) static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#if defined(ENGINE_PEAK)
/* Peaks: the project's own kernels (bench/fma_peak.c, linked in). */
long fma_peak_flops_per_iteration(int isa);
int fma_peak_run(int isa, int threads, long iterations);

/* GFLOP/s of fma_peak.c's `kernel` on `threads` threads: best of 5 (the clock may ramp up in the first). */
static double best_gflops(int kernel, int threads, long iterations) {
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t = now();
        if (fma_peak_run(kernel, threads, iterations) != 0) break;
        t = now() - t;
        double g = (double)fma_peak_flops_per_iteration(kernel) * iterations * threads / t * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

int main(void) {
    /* fma_peak.c's kernel codes: 1 float32 AVX2, 2 float32 AVX-512, 3 float64 AVX-512 */
    static const struct { int kernel; const char *dtype, *isa; } kernels[] = {
        {1, "f32", "avx2"}, {2, "f32", "avx512"}, {3, "f64", "avx512"}};
    const long iterations = 50000000; /* ~0.2 s per run at ~3 GHz */
    for (int threads = 1; threads <= 2; threads++)
        for (int i = 0; i < 3; i++)
            printf("peak\t%s\t%s\t%d\t%.1f\n", kernels[i].dtype, kernels[i].isa, threads,
                   best_gflops(kernels[i].kernel, threads, iterations));
    return 0;
}
#else

/* ---- the shapes: row-major, C[m x n] = op(A) op(B); A is stored k x m when ta, B is n x k when tb ---- */
typedef struct {
    const char *name;
    int ta, tb, m, n, k;
} Shape;

static const Shape shapes[] = {
    {"C1 fwd 10x784.784x30", 0, 0, 10, 30, 784},
    {"C1 dW (10x784)T.10x30", 1, 0, 784, 30, 10},
    {"C2 fwd 64x784.784x128", 0, 0, 64, 128, 784},
    {"C2 dW (64x784)T.64x128", 1, 0, 784, 128, 64},
    {"C2 dWt 64x10.(128x10)T", 0, 1, 64, 128, 10},
    {"C3 fwd1 256x784.784x1024", 0, 0, 256, 1024, 784},
    {"C3 fwd2 256x1024.1024x1024", 0, 0, 256, 1024, 1024},
    {"C3 dW (256x1024)T.256x1024", 1, 0, 1024, 1024, 256},
    {"C3 dWt 256x1024.(1024x1024)T", 0, 1, 256, 1024, 1024},
};

/* Stored leading dimensions (row-major: the number of columns as stored). */
static int ld_a(const Shape *s) { return s->ta ? s->m : s->k; }
static int ld_b(const Shape *s) { return s->tb ? s->k : s->n; }

/* ---- one call per engine and dtype; returns 0 on success, 1 when the engine cannot do this case ---- */
#if defined(ENGINE_XSMM)
/* libxsmm is column-major: the row-major C = op(A) op(B) is the column-major C' = op(B)' op(A)', i.e.
 * the same memory with the roles of A and B swapped. Kernels are JIT-built once per case (dispatch) and
 * the dispatch cost is kept out of the timing. */
static libxsmm_smmfunction xs;
static libxsmm_dmmfunction xd;
static int xsmm_prepare(const Shape *s, int dbl) {
    int flags = (s->tb ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (s->ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
    libxsmm_blasint lda = ld_b(s), ldb = ld_a(s), ldc = s->n;
    if (dbl) {
        double alpha = 1, beta = 0;
        xd = libxsmm_dmmdispatch(s->n, s->m, s->k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
        return xd == NULL;
    }
    float alpha = 1, beta = 0;
    xs = libxsmm_smmdispatch(s->n, s->m, s->k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    return xs == NULL;
}
#endif

static int gemm_f32(const Shape *s, const float *A, const float *B, float *C) {
#if defined(ENGINE_OPENBLAS) || defined(ENGINE_SCIPY)
#ifdef ENGINE_SCIPY
#define SGEMM scipy_cblas_sgemm
#else
#define SGEMM cblas_sgemm
#endif
    SGEMM(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m, s->n,
          s->k, 1.0f, A, ld_a(s), B, ld_b(s), 0.0f, C, s->n);
    return 0;
#elif defined(ENGINE_BLIS)
    /* BLIS takes explicit row and column strides: row-major means (ld, 1). */
    float one = 1, zero = 0;
    bli_sgemm(s->ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->m,
              s->n, s->k, &one, (float *)A, ld_a(s), 1, (float *)B, ld_b(s), 1, &zero, C, s->n, 1);
    return 0;
#elif defined(ENGINE_XSMM)
    xs(B, A, C);
    return 0;
#elif defined(ENGINE_DNNL)
    return dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1.0f, A, ld_a(s), B, ld_b(s),
                      0.0f, C, s->n) != dnnl_success;
#endif
}

static int gemm_f64(const Shape *s, const double *A, const double *B, double *C) {
#if defined(ENGINE_OPENBLAS) || defined(ENGINE_SCIPY)
#ifdef ENGINE_SCIPY
#define DGEMM scipy_cblas_dgemm
#else
#define DGEMM cblas_dgemm
#endif
    DGEMM(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m, s->n,
          s->k, 1.0, A, ld_a(s), B, ld_b(s), 0.0, C, s->n);
    return 0;
#elif defined(ENGINE_BLIS)
    double one = 1, zero = 0;
    bli_dgemm(s->ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->m,
              s->n, s->k, &one, (double *)A, ld_a(s), 1, (double *)B, ld_b(s), 1, &zero, C, s->n, 1);
    return 0;
#elif defined(ENGINE_XSMM)
    xd(B, A, C);
    return 0;
#elif defined(ENGINE_DNNL)
    (void)s, (void)A, (void)B, (void)C;
    return 1; /* oneDNN's C API has dnnl_sgemm only: no double-precision GEMM */
#endif
}

static void set_threads(int threads) {
#if defined(ENGINE_OPENBLAS)
    openblas_set_num_threads(threads);
#elif defined(ENGINE_SCIPY)
    scipy_openblas_set_num_threads(threads);
#elif defined(ENGINE_BLIS)
    bli_thread_set_num_threads(threads);
#elif defined(ENGINE_DNNL)
    omp_set_num_threads(threads); /* libdnnl is built on libgomp: its parallel regions follow this */
#else
    (void)threads; /* libxsmm's kernels are single-threaded */
#endif
}

/* Which kernel / ISA the engine picked on this CPU, for the report. */
static void print_engine_info(void) {
#if defined(ENGINE_OPENBLAS)
    printf("#info\t%s\tcorename=%s\tconfig=%s\n", ENGINE_NAME, openblas_get_corename(), openblas_get_config());
#elif defined(ENGINE_SCIPY)
    printf("#info\t%s\tcorename=%s\tconfig=%s\n", ENGINE_NAME, scipy_openblas_get_corename(),
           scipy_openblas_get_config());
#elif defined(ENGINE_BLIS)
    printf("#info\t%s\tversion=%s\tarch=%s\n", ENGINE_NAME, bli_info_get_version_str(),
           bli_arch_string(bli_arch_query_id()));
#elif defined(ENGINE_XSMM)
    printf("#info\t%s\tversion=%s\ttarget=%s\n", ENGINE_NAME, LIBXSMM_VERSION, libxsmm_get_target_arch());
#elif defined(ENGINE_DNNL)
    const dnnl_version_t *v = dnnl_version();
    printf("#info\t%s\tversion=%d.%d.%d\teffective_isa=0x%x\n", ENGINE_NAME, v->major, v->minor, v->patch,
           (unsigned)dnnl_get_effective_cpu_isa());
#endif
}

/* ---- operands, the naive reference and the timing loop ---- */
static unsigned long long rng = 88172645463325252ULL;
static double uniform(void) { /* xorshift64: reproducible operands in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}

/* Naive triple loop in double, on the same stored layouts as the engines see. */
static void reference(const Shape *s, const double *A, const double *B, double *C) {
    for (int i = 0; i < s->m; i++)
        for (int j = 0; j < s->n; j++) {
            double sum = 0;
            for (int p = 0; p < s->k; p++) {
                double a = s->ta ? A[(size_t)p * ld_a(s) + i] : A[(size_t)i * ld_a(s) + p];
                double b = s->tb ? B[(size_t)j * ld_b(s) + p] : B[(size_t)p * ld_b(s) + j];
                sum += a * b;
            }
            C[(size_t)i * s->n + j] = sum;
        }
}

#define COLD_BYTES (8u << 20) /* operand copies rotated in the cold runs: > the 2 MiB L2 of a core */

/* Runs one case; prints a line. mode 0 = warm (one operand set), 1 = cold (rotate copies). */
static double *ref_cache[sizeof shapes / sizeof *shapes][2]; /* the naive loop is slow: once per case */

static void run_case(int si, int dbl, int cold, int threads, double seconds) {
    const Shape *s = &shapes[si];
    rng = 88172645463325252ULL + si; /* same operands for every engine, mode and thread count */
    size_t es = dbl ? sizeof(double) : sizeof(float);
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    size_t set_bytes = (na + nb + nc) * es;
    int copies = cold ? (int)((COLD_BYTES + set_bytes - 1) / set_bytes) : 1;
    if (cold && copies < 2) copies = 2;
    const char *dt = dbl ? "f64" : "f32";
    double flops = 2.0 * s->m * s->n * s->k;

#if defined(ENGINE_XSMM)
    if (xsmm_prepare(s, dbl)) {
        /* Happens for the row-major B-transposed cases, i.e. column-major TRANS_A in this release. */
        printf("%s\t%s\t%d\t%s\t%s\tn/a\tlibxsmm_%cmmdispatch returned NULL for flags %d "
               "(TRANS_A=1, TRANS_B=2): no kernel\n",
               ENGINE_NAME, s->name, threads, dt, cold ? "cold" : "warm", dbl ? 'd' : 's',
               (s->tb ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (s->ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0));
        return;
    }
#endif
    /* Each copy: A, B, C back to back, 64-byte aligned. */
    size_t stride = (set_bytes + 63) / 64 * 64;
    char *mem = aligned_alloc(64, stride * copies);
    double *Ad = malloc(na * 8), *Bd = malloc(nb * 8), *Cref = malloc(nc * 8);
    for (size_t i = 0; i < na; i++) Ad[i] = uniform();
    for (size_t i = 0; i < nb; i++) Bd[i] = uniform();
    for (int c = 0; c < copies; c++) {
        char *base = mem + stride * c;
        for (size_t i = 0; i < na + nb; i++) {
            double v = i < na ? Ad[i] : Bd[i - na];
            if (dbl) ((double *)base)[i] = v;
            else ((float *)base)[i] = (float)v; /* the reference then uses the float-rounded values */
        }
        memset(base + (na + nb) * es, 0, nc * es);
    }
    /* Reference on exactly the operands the engine sees (float-rounded for f32). */
    for (size_t i = 0; i < na; i++) Ad[i] = dbl ? ((double *)mem)[i] : ((float *)mem)[i];
    for (size_t i = 0; i < nb; i++) Bd[i] = dbl ? ((double *)mem)[na + i] : ((float *)mem)[na + i];
    if (!ref_cache[si][dbl]) {
        ref_cache[si][dbl] = malloc(nc * 8);
        reference(s, Ad, Bd, ref_cache[si][dbl]);
    }
    memcpy(Cref, ref_cache[si][dbl], nc * 8);

#define CALL(c)                                                                                               \
    (dbl ? gemm_f64(s, (double *)(mem + stride * (c)), (double *)(mem + stride * (c)) + na,                  \
                    (double *)(mem + stride * (c)) + na + nb)                                                 \
         : gemm_f32(s, (float *)(mem + stride * (c)), (float *)(mem + stride * (c)) + na,                     \
                    (float *)(mem + stride * (c)) + na + nb))

    if (CALL(0)) {
        printf("%s\t%s\t%d\t%s\t%s\tn/a\tengine has no %s GEMM\n", ENGINE_NAME, s->name, threads, dt,
               cold ? "cold" : "warm", dt);
        goto done;
    }
    /* Correctness: max |C - Cref| / max |Cref| against the naive loop. */
    double err = 0, ref = 0;
    for (size_t i = 0; i < nc; i++) {
        double v = dbl ? ((double *)(mem + (na + nb) * es))[i] : ((float *)(mem + (na + nb) * es))[i];
        err = fmax(err, fabs(v - Cref[i]));
        ref = fmax(ref, fabs(Cref[i]));
    }
    double rel = err / ref, tol = dbl ? 1e-12 : 1e-4;
    if (!(rel <= tol)) {
        printf("%s\t%s\t%d\t%s\t%s\tFAIL\trelative error %.3g > %.0g\n", ENGINE_NAME, s->name, threads, dt,
               cold ? "cold" : "warm", rel, tol);
        goto done;
    }

    /* Warm-up ~10% of the budget, then time each call; the median is reported. */
    int c = 0;
    double t0 = now();
    while (now() - t0 < seconds * 0.1) {
        c = (c + 1) % copies;
        CALL(c);
    }
    double est = 0;
    { /* calibrate: calls that fit in the budget, bounded to [21, 20001] */
        double t = now();
        for (int i = 0; i < 5; i++) {
            c = (c + 1) % copies;
            CALL(c);
        }
        est = (now() - t) / 5;
    }
    long reps = (long)(seconds / est);
    if (reps < 21) reps = 21;
    if (reps > 20001) reps = 20001;
    double *times = malloc(reps * sizeof(double));
    for (long r = 0; r < reps; r++) {
        c = (c + 1) % copies;
        double t = now();
        CALL(c);
        times[r] = now() - t;
    }
    qsort(times, reps, sizeof(double), cmp_double);
    double med = times[reps / 2];
    printf("%s\t%s\t%d\t%s\t%s\t%.2f\tmedian %.3g us, %ld reps, %d operand copies (%.1f MiB), rel.err %.2g\n",
           ENGINE_NAME, s->name, threads, dt, cold ? "cold" : "warm", flops / med * 1e-9, med * 1e6, reps,
           copies, (double)stride * copies / (1 << 20), rel);
    free(times);
done:
    fflush(stdout);
    free(mem), free(Ad), free(Bd), free(Cref);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 0.25;
#if defined(ENGINE_XSMM)
    libxsmm_init();
#endif
    set_threads(threads);
    print_engine_info();
    for (int dbl = 0; dbl <= 1; dbl++)
        for (int cold = 0; cold <= 1; cold++)
            for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) run_case((int)i, dbl, cold, threads, seconds);
    return 0;
}
#endif
