#include "instruction_set.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

/* XCR0: which register states the OS saves on a context switch. */
static unsigned long long saved_register_states(void) {
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((unsigned long long)high << 32) | low;
}

static int has(unsigned int reg, int bit) { return (reg >> bit) & 1; }

sgd_isa sgd_isa_detected(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return SGD_ISA_BASELINE;
    int v3_leaf1 = has(c, 12) /* FMA */ && has(c, 22) /* MOVBE */ && has(c, 27) /* OSXSAVE */
                   && has(c, 28) /* AVX */ && has(c, 29) /* F16C */;
    if (!v3_leaf1) return SGD_ISA_BASELINE;
    unsigned long long xcr0 = saved_register_states();
    if ((xcr0 & 0x6) != 0x6) return SGD_ISA_BASELINE; /* SSE and AVX (YMM) state */
    unsigned int lzcnt = 0;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) lzcnt = has(c, 5);
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SGD_ISA_BASELINE;
    if (!(lzcnt && has(b, 3) /* BMI1 */ && has(b, 5) /* AVX2 */ && has(b, 8) /* BMI2 */)) return SGD_ISA_BASELINE;
    int v4 = has(b, 16) /* F */ && has(b, 17) /* DQ */ && has(b, 28) /* CD */ && has(b, 30) /* BW */
             && has(b, 31) /* VL */;
    if (v4 && (xcr0 & 0xe0) == 0xe0) return SGD_ISA_AVX512; /* opmask, ZMM0-15 upper, ZMM16-31 */
    return SGD_ISA_AVX2;
}
#else
sgd_isa sgd_isa_detected(void) { return SGD_ISA_BASELINE; }
#endif

const char *sgd_isa_name(sgd_isa isa) {
    switch (isa) {
    case SGD_ISA_AVX2: return "avx2";
    case SGD_ISA_AVX512: return "avx512";
    default: return "baseline";
    }
}

sgd_isa sgd_isa_requested(void) {
    const char *name = getenv("SGDSWIFT_ISA");
    if (name == NULL) return SGD_ISA_INVALID;
    for (int isa = SGD_ISA_BASELINE; isa <= SGD_ISA_AVX512; isa++) {
        if (strcmp(name, sgd_isa_name((sgd_isa)isa)) == 0) return (sgd_isa)isa;
    }
    return SGD_ISA_INVALID;
}

sgd_isa sgd_isa_selected(void) {
    sgd_isa detected = sgd_isa_detected(), requested = sgd_isa_requested();
    return requested != SGD_ISA_INVALID && requested <= detected ? requested : detected;
}
