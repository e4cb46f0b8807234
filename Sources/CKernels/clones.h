// Private to CKernels: what every function here is compiled as (see include/ckernels.h).
#ifndef PIXELWISE_CKERNELS_CLONES_H
#define PIXELWISE_CKERNELS_CLONES_H

// One clone per instruction set; the loader picks the one this CPU runs (GNU ifunc).
#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#endif
