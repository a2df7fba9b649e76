// The CPU's spin-wait hint, which Swift cannot spell: x86 `pause` (lets the sibling hyper-thread
// run while a worker polls for work), `yield` on ARM.
static inline void diffsynth_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
