#include "small_products.h"

/* libxsmm (Debian's libxsmm-dev) exists for x86-64 only; built without it, every product goes to BLAS. */
#if defined(__has_include)
#if __has_include(<libxsmm.h>)
#define SGD_HAVE_LIBXSMM 1
#endif
#endif

#ifdef SGD_HAVE_LIBXSMM
#include <libxsmm.h>

/* libxsmm is column-major. A row-major matrix is the column-major transpose on the same memory, so the
 * row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: libxsmm's first operand is our B
 * (its TRANS_A flag is our transpose_b), its second our A, and m and n swap. */
static int flags(int transpose_a, int transpose_b) {
    return (transpose_b ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (transpose_a ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
}

int sgd_small_sgemm(int transpose_a, int transpose_b, int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float beta, float *c, int ldc) {
    if (beta != 0 && beta != 1) return 0;
    int how = flags(transpose_a, transpose_b);
    libxsmm_blasint first = ldb, second = lda, out = ldc;
    float alpha = 1;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(n, m, k, &first, &second, &out, &alpha, &beta, &how, NULL);
    if (kernel == NULL) return 0;
    kernel(b, a, c);
    return 1;
}

int sgd_small_dgemm(int transpose_a, int transpose_b, int m, int n, int k, const double *a, int lda,
                    const double *b, int ldb, double beta, double *c, int ldc) {
    if (beta != 0 && beta != 1) return 0;
    int how = flags(transpose_a, transpose_b);
    libxsmm_blasint first = ldb, second = lda, out = ldc;
    double alpha = 1;
    libxsmm_dmmfunction kernel = libxsmm_dmmdispatch(n, m, k, &first, &second, &out, &alpha, &beta, &how, NULL);
    if (kernel == NULL) return 0;
    kernel(b, a, c);
    return 1;
}

int sgd_small_products_available(void) { return 1; }

const char *sgd_small_products_target(void) { return libxsmm_get_target_arch(); }

const char *sgd_small_products_version(void) { return LIBXSMM_VERSION; }

#else

int sgd_small_sgemm(int transpose_a, int transpose_b, int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float beta, float *c, int ldc) {
    return 0;
}

int sgd_small_dgemm(int transpose_a, int transpose_b, int m, int n, int k, const double *a, int lda,
                    const double *b, int ldb, double beta, double *c, int ldc) {
    return 0;
}

int sgd_small_products_available(void) { return 0; }

const char *sgd_small_products_target(void) { return "none"; }

const char *sgd_small_products_version(void) { return "absent"; }

#endif
