// Private to CKernels: Winograd F(4×4, 3×3)'s one-axis transforms, shared by the 2-D kernels
// (winograd_transforms.c) and the 3-D ones (winograd3d.c), inlined into each caller's clones.
#ifndef PIXELWISE_CKERNELS_WINOGRAD4_H
#define PIXELWISE_CKERNELS_WINOGRAD4_H

// As in every CKernels file: no contraction into FMAs, the same values from every clone.
#pragma STDC FP_CONTRACT OFF

#include "clones.h"

// The output transforms end with + bias (and ReLU): one loop per case, so that no test is left
// inside a loop. A loop macro takes one of these as FINISH and the rows it writes as ROWS.
#define PLAIN(v) (v)
#define PLUS_BIAS(v) ((v) + bias[c])
#define PLUS_BIAS_RELU(v) ((v) + bias[c] > 0 ? (v) + bias[c] : 0)

// y = Bᵀ x: six vectors of n floats in (stride xs), six out (stride ys).
static inline void winograd4_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c], a2 = x2[c], a3 = x3[c], a4 = x4[c], a5 = x5[c];
        y0[c] = 4 * a0 - 5 * a2 + a4;
        y1[c] = a3 + a4 - 4 * (a1 + a2);
        y2[c] = a4 - a3 + 4 * (a1 - a2);
        y3[c] = a4 - a2 + 2 * (a3 - a1);
        y4[c] = a4 - a2 + 2 * (a1 - a3);
        y5[c] = 4 * a1 - 5 * a3 + a5;
    }
}

// y = Aᵀ x: six vectors in, the first ROWS of four out, each through FINISH.
#define WINOGRAD4_OUTPUT_LOOP(FINISH, ROWS)                                                                   \
    CHANNEL_LOOP for (long c = 0; c < n; c++) {                                                                   \
        float a1 = x1[c], a2 = x2[c], a3 = x3[c], a4 = x4[c];                                          \
        float s12 = a1 + a2, d12 = a1 - a2, s34 = a3 + a4, d34 = a3 - a4;                              \
        float v0 = x0[c] + s12 + s34, v1 = d12 + 2 * d34, v2 = s12 + 4 * s34, v3 = d12 + 8 * d34 + x5[c]; \
        y0[c] = FINISH(v0);                                                                          \
        if ((ROWS) > 1) y1[c] = FINISH(v1);                                                            \
        if ((ROWS) > 2) y2[c] = FINISH(v2);                                                            \
        if ((ROWS) > 3) y3[c] = FINISH(v3);                                                            \
    }

// y = Aᵀ x, all four rows, the transform alone.
static inline void winograd4_output_plain(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;
    WINOGRAD4_OUTPUT_LOOP(PLAIN, 4)
}

#endif
