// Small pieces of the C runtime that Swift cannot reach through its Glibc module.
#include <malloc.h>

// The CPU's spin-wait hint: x86 `pause` (lets the sibling hyper-thread run while a worker polls
// for work), `yield` on ARM.
static inline void diffsynth_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// glibc's malloc thresholds (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), which the Glibc module leaves out.
static inline void diffsynth_set_malloc_thresholds(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    if (mmap_threshold > 0) mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    if (trim_threshold > 0) mallopt(M_TRIM_THRESHOLD, trim_threshold);
#endif
}
