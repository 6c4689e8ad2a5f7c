#ifndef SGDSWIFT_SMALL_PRODUCTS_H
#define SGDSWIFT_SMALL_PRODUCTS_H

/* C ← op(A)·op(B) + β·C for row-major matrices, β = 0 or 1, by a kernel that libxsmm generates for
 * this very shape and CPU (just in time, once per shape; it then needs no packing of A or B, which is
 * what makes the small products of small batches fast). Returns 1 when done, 0 when libxsmm has no
 * kernel for the case (a transposed B, a CPU without AVX, β other than 0 or 1): the caller then uses BLAS. */
int sgd_small_sgemm(int transpose_a, int transpose_b, int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float beta, float *c, int ldc);
int sgd_small_dgemm(int transpose_a, int transpose_b, int m, int n, int k, const double *a, int lda,
                    const double *b, int ldb, double beta, double *c, int ldc);

/* Whether sgdswift was built with libxsmm (it exists for x86-64 only): without it the functions above
 * always answer 0. */
int sgd_small_products_available(void);

/* The CPU libxsmm generates code for (e.g. "cpx", "skx", "hsw"; "generic" or "wsm": no kernels), and
 * libxsmm's version; "none" and "absent" when sgdswift was built without libxsmm. */
const char *sgd_small_products_target(void);
const char *sgd_small_products_version(void);

#endif
