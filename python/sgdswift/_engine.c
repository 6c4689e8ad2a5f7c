/* The environment as the extension's private matrix engines, OpenBLAS and libxsmm, see it.
 *
 * Both are linked statically into the extension (setup.py) so that they are sgdswift's alone. When they
 * are loaded they read settings from environment variables (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS,
 * OPENBLAS_L2_SIZE, LIBXSMM_TARGET, ...) that users and system images set for the copies NumPy and others
 * share; read by ours, they would, for instance, run AVX2 kernels on an AVX-512 CPU. So the extension is
 * linked with `-Wl,--wrap=getenv`: every getenv in it comes here. Ours get no OPENBLAS_*, GOTO_* or
 * LIBXSMM_* variable but OPENBLAS_CORETYPE and LIBXSMM_TARGET, which name the kernels of the instruction
 * set sgdswift selected (CPUID, or a narrower SGDSWIFT_ISA), so that the products and the elementwise
 * kernels follow the same choice. The environment itself is never changed; every other name is looked
 * up as usual. */
#include <stdlib.h>
#include <string.h>

#include "instruction_set.h"

char *__real_getenv(const char *name);

/* OpenBLAS's name for the kernels of each instruction set; NULL lets it choose by itself, as it does
 * on any CPU it knows (Debian's OpenBLAS 0.3.21 runs AVX2 kernels on AMD's AVX-512 CPUs, hence SkylakeX).
 * Prescott (SSE3) is the oldest kernel set it has for x86-64. */
static char *openblas_core(sgd_isa isa) {
    static char skylakex[] = "SkylakeX", haswell[] = "Haswell", prescott[] = "Prescott";
    sgd_isa detected = sgd_isa_detected();
    switch (isa) {
    case SGD_ISA_AVX512: return skylakex;
    case SGD_ISA_AVX2: return isa < detected ? haswell : NULL;
    default: return isa < detected ? prescott : NULL;
    }
}

/* libxsmm's name for the code it may generate; NULL lets it choose by itself (it knows every x86 CPU
 * it can generate code for). "generic" generates none: every product then goes to OpenBLAS. */
static char *libxsmm_target(sgd_isa isa) {
    static char haswell[] = "hsw", generic[] = "generic";
    if (isa >= sgd_isa_detected()) return NULL;
    return isa == SGD_ISA_AVX2 ? haswell : generic;
}

char *__wrap_getenv(const char *name) {
    if (name == NULL) return __real_getenv(name);
    if (strcmp(name, "OPENBLAS_CORETYPE") == 0) return openblas_core(sgd_isa_selected());
    if (strcmp(name, "LIBXSMM_TARGET") == 0) return libxsmm_target(sgd_isa_selected());
    if (strncmp(name, "OPENBLAS_", 9) == 0 || strncmp(name, "GOTO_", 5) == 0 || strncmp(name, "LIBXSMM_", 8) == 0)
        return NULL;
    return __real_getenv(name);
}
