// TLDSE_CPU_CLONES: compiles a hot function twice where the toolchain can dispatch at run
// time (GCC/Clang on x86-64 Linux, through an ifunc): with SSE4.1, where std::ceil is one
// instruction, and for the baseline; everything it calls in its translation unit is
// inlined into each version (flatten). Both versions compute the same numbers: ceil and
// every other operation are exact IEEE operations either way. Off under the sanitizers
// and with clang (which does not combine target_clones with flatten: the fuzz build).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define TLDSE_CPU_CLONES __attribute__((target_clones("sse4.1", "default"), flatten))
#else
#define TLDSE_CPU_CLONES
#endif
