// Private to CKernels: what every function here is compiled as (see include/ckernels.h).
#ifndef PIXELWISE_CKERNELS_CLONES_H
#define PIXELWISE_CKERNELS_CLONES_H

// One clone per instruction set; the loader picks the one this CPU runs (GNU ifunc).
#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// Before a loop over a channel vector: vectorise it at the clone's full width and fold the tail
// into masked operations where the instruction set has them (AVX-512), so that 12 or 24 channels
// take one or two vector steps instead of a scalar remainder. The same operations per element:
// the values do not change.
#if defined(__clang__)
#define CHANNEL_LOOP _Pragma("clang loop vectorize(enable) vectorize_predicate(enable)")
#else
#define CHANNEL_LOOP
#endif

#endif
