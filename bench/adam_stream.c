/* How long one Adam update of C3 (784-1024-1024-10, 1 863 690 parameters) must take on this machine,
 * whatever the engine: the pass reads θ, m, v and ∇C and writes θ′, m and v, 52 MB that do not fit in
 * the L3, so its time is set by memory bandwidth, not by the FMA units. With the machine's FMA peak
 * (bench/run.py prints it) this bounds C3's share of the peak:
 *     share ≤ products / (products / peak + update),  products = 2.45 GFLOP per step.
 * Build and run:  gcc -O3 -march=native -fopenmp bench/adam_stream.c -o /tmp/adam_stream -lm
 *                 /tmp/adam_stream 511        (the float32 FMA peak in GFLOP/s; OMP_NUM_THREADS=2)
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const long sizes[] = {784, 1024, 1024, 10};
    long parameters = 0, multiply_adds = 0;
    for (int l = 0; l < 3; l++) {
        parameters += sizes[l] * sizes[l + 1] + sizes[l + 1];
        /* forward and ∂W for every layer, δ·Wᵀ for every layer but the first; 256 rows */
        multiply_adds += 256 * sizes[l] * sizes[l + 1] * (l == 0 ? 2 : 3);
    }
    const double step_flops = 2.0 * multiply_adds;
    const double peak = argc > 1 ? atof(argv[1]) * 1e9 : 0;
    float *theta = aligned_alloc(64, parameters * 4), *next = aligned_alloc(64, parameters * 4);
    float *m = aligned_alloc(64, parameters * 4), *v = aligned_alloc(64, parameters * 4);
    float *gradient = aligned_alloc(64, parameters * 4);
    for (long i = 0; i < parameters; i++) theta[i] = 1, m[i] = 0, v[i] = 0, gradient[i] = 0.01f * (i % 7);
    double best = 1e9;
    for (int repeat = 0; repeat < 30; repeat++) {
        double start = seconds();
#pragma omp parallel for simd schedule(static)
        for (long i = 0; i < parameters; i++) {
            float g = gradient[i], mi = 0.9f * m[i] + 0.1f * g, vi = 0.999f * v[i] + 0.001f * g * g;
            m[i] = mi, v[i] = vi, next[i] = theta[i] - 1e-3f * mi / (sqrtf(vi) + 1e-8f);
        }
        double elapsed = seconds() - start;
        if (elapsed < best) best = elapsed;
    }
    /* Fully fused (∇C never written to memory, θ updated in place) the pass would move 6 of the 7 streams. */
    const double fused = best * 6 / 7, bytes = 7.0 * parameters * 4;
    printf("C3: %ld parameters, %.2f GFLOP of products per step; %d threads\n", parameters, step_flops / 1e9,
           omp_get_max_threads());
    printf("Adam pass: %.2f ms (%.0f GB/s over %.1f MB); fully fused at that bandwidth: %.2f ms\n", best * 1e3,
           bytes / best / 1e9, bytes / 1e6, fused * 1e3);
    if (peak > 0)
        printf("Bound on C3's share of the %.0f GFLOP/s peak, with products at 100%% of it: %.0f%% "
               "(%.0f%% with the pass as it is)\n", peak / 1e9,
               100 * step_flops / (step_flops + peak * fused), 100 * step_flops / (step_flops + peak * best));
    return 0;
}
