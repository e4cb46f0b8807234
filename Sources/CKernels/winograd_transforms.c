// The Winograd transforms of WinogradConvolution.swift (its documentation gives the math), one
// channel vector at a time: see ckernels.h for why they are in C.
#include "ckernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// The output transforms end with + bias (and ReLU): one loop per case, so that no test is left
// inside a loop. FINISH is redefined before each expansion.
#define PLAIN(v) (v)
#define PLUS_BIAS(v) ((v) + bias[c])
#define PLUS_BIAS_RELU(v) ((v) + bias[c] > 0 ? (v) + bias[c] : 0)

CLONES
void pw_winograd4_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys;
    for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c], a2 = x2[c], a3 = x3[c], a4 = x4[c], a5 = x5[c];
        y0[c] = 4 * a0 - 5 * a2 + a4;
        y1[c] = a3 + a4 - 4 * (a1 + a2);
        y2[c] = a4 - a3 + 4 * (a1 - a2);
        y3[c] = a4 - a2 + 2 * (a3 - a1);
        y4[c] = a4 - a2 + 2 * (a1 - a3);
        y5[c] = 4 * a1 - 5 * a3 + a5;
    }
}

#define WINOGRAD4_OUTPUT_LOOP(FINISH, ROWS)                                                                   \
    for (long c = 0; c < n; c++) {                                                                   \
        float a1 = x1[c], a2 = x2[c], a3 = x3[c], a4 = x4[c];                                          \
        float s12 = a1 + a2, d12 = a1 - a2, s34 = a3 + a4, d34 = a3 - a4;                              \
        float v0 = x0[c] + s12 + s34, v1 = d12 + 2 * d34, v2 = s12 + 4 * s34, v3 = d12 + 8 * d34 + x5[c]; \
        y0[c] = FINISH(v0);                                                                          \
        if ((ROWS) > 1) y1[c] = FINISH(v1);                                                            \
        if ((ROWS) > 2) y2[c] = FINISH(v2);                                                            \
        if ((ROWS) > 3) y3[c] = FINISH(v3);                                                            \
    }

CLONES
void pw_winograd4_output(const float *restrict x, long xs, float *restrict y, long ys, long rows, const float *restrict bias,
                         int relu, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;
    if (rows <= 0) return;
    if (!bias) {  // an intermediate pass (rows of the 6×6 products): the transform alone
        WINOGRAD4_OUTPUT_LOOP(PLAIN, rows)
        return;
    }
    if (rows == 4) {  // the common case: constant row tests, which the compiler removes
        if (relu) { WINOGRAD4_OUTPUT_LOOP(PLUS_BIAS_RELU, 4) } else { WINOGRAD4_OUTPUT_LOOP(PLUS_BIAS, 4) }
        return;
    }
    if (relu) { WINOGRAD4_OUTPUT_LOOP(PLUS_BIAS_RELU, rows) } else { WINOGRAD4_OUTPUT_LOOP(PLUS_BIAS, rows) }
}

CLONES
void pw_winograd6_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs, *x6 = x + 6 * xs,
                *x7 = x + 7 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys, *y6 = y + 6 * ys,
          *y7 = y + 7 * ys;
    for (long c = 0; c < n; c++) {
        float d0 = x0[c], d1 = x1[c], d2 = x2[c], d3 = x3[c], d4 = x4[c], d5 = x5[c], d6 = x6[c], d7 = x7[c];
        y0[c] = (d0 - d6) + 5.25f * (d4 - d2);
        y7[c] = (d7 - d1) + 5.25f * (d3 - d5);
        float t1 = d2 + d6 - 4.25f * d4, t2 = d1 + d5 - 4.25f * d3;
        y1[c] = t1 + t2;
        y2[c] = t1 - t2;
        float t3 = 0.25f * d2 - 1.25f * d4 + d6, t4 = 0.5f * d1 - 2.5f * d3 + 2 * d5;
        y3[c] = t3 + t4;
        y4[c] = t3 - t4;
        float t5 = 4 * d2 - 5 * d4 + d6, t6 = 2 * d1 - 2.5f * d3 + 0.5f * d5;
        y5[c] = t5 + t6;
        y6[c] = t5 - t6;
    }
}

#define WINOGRAD6_OUTPUT_LOOP(FINISH, ROWS)                                                                   \
    for (long c = 0; c < n; c++) {                                                                   \
        float s12 = x1[c] + x2[c], d12 = x1[c] - x2[c], s34 = x3[c] + x4[c], d34 = x3[c] - x4[c];      \
        float s56 = x5[c] + x6[c], d56 = x5[c] - x6[c];                                                \
        float v0 = x0[c] + s12 + s34 + s56, v1 = d12 + 2 * d34 + 0.5f * d56;                           \
        float v2 = s12 + 4 * s34 + 0.25f * s56, v3 = d12 + 8 * d34 + 0.125f * d56;                     \
        float v4 = s12 + 16 * s34 + 0.0625f * s56, v5 = d12 + 32 * d34 + 0.03125f * d56 + x7[c];       \
        y0[c] = FINISH(v0);                                                                          \
        if ((ROWS) > 1) y1[c] = FINISH(v1);                                                            \
        if ((ROWS) > 2) y2[c] = FINISH(v2);                                                            \
        if ((ROWS) > 3) y3[c] = FINISH(v3);                                                            \
        if ((ROWS) > 4) y4[c] = FINISH(v4);                                                            \
        if ((ROWS) > 5) y5[c] = FINISH(v5);                                                            \
    }

CLONES
void pw_winograd6_output(const float *restrict x, long xs, float *restrict y, long ys, long rows, const float *restrict bias,
                         int relu, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs, *x6 = x + 6 * xs,
                *x7 = x + 7 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys;
    if (rows <= 0) return;
    if (!bias) {  // an intermediate pass (rows of the 8×8 products): the transform alone
        WINOGRAD6_OUTPUT_LOOP(PLAIN, rows)
        return;
    }
    if (rows == 6) {  // the common case: constant row tests, which the compiler removes
        if (relu) { WINOGRAD6_OUTPUT_LOOP(PLUS_BIAS_RELU, 6) } else { WINOGRAD6_OUTPUT_LOOP(PLUS_BIAS, 6) }
        return;
    }
    if (relu) { WINOGRAD6_OUTPUT_LOOP(PLUS_BIAS_RELU, rows) } else { WINOGRAD6_OUTPUT_LOOP(PLUS_BIAS, rows) }
}
