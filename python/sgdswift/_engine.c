/* The environment as the extension's private OpenBLAS sees it.
 *
 * OpenBLAS is linked statically into the extension (setup.py) so that it is sgdswift's alone. When it is
 * loaded it reads its settings from environment variables (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS,
 * OPENBLAS_L2_SIZE, ...) that users and system images set for the OpenBLAS that NumPy shares; read by
 * ours, they would, for instance, run AVX2 kernels on an AVX-512 CPU. So the extension is linked with
 * `-Wl,--wrap=getenv`: every getenv in it comes here. Ours gets no OPENBLAS_* or GOTO_* variable but
 * OPENBLAS_CORETYPE, which names the kernels of the instruction set sgdswift selected (CPUID, or a
 * narrower SGDSWIFT_ISA), so that the products and the elementwise kernels follow the same choice.
 * The environment itself is never changed; every other name is looked up as usual. */
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

char *__wrap_getenv(const char *name) {
    if (name && strcmp(name, "OPENBLAS_CORETYPE") == 0) return openblas_core(sgd_isa_selected());
    if (name && (strncmp(name, "OPENBLAS_", 9) == 0 || strncmp(name, "GOTO_", 5) == 0)) return NULL;
    return __real_getenv(name);
}
