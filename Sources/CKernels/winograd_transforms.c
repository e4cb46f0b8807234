// The Winograd transforms of WinogradConvolution.swift (its documentation gives the math), one
// channel vector at a time: see ckernels.h for why they are in C.
#include "ckernels.h"
#include "clones.h"

#pragma STDC FP_CONTRACT OFF

#include "winograd4.h"

// Which loop an output transform runs, for a LOOP(FINISH, ROWS) macro whose tile has FULL rows:
// without bias the transform alone (an intermediate pass), with bias and ReLU or bias alone, with
// the row count a constant when every row is written (the compiler then drops the row tests).
#define OUTPUT_TRANSFORM_CASES(LOOP, FULL)                                                          \
    if (rows <= 0) return;                                                                          \
    if (!bias) {                                                                                    \
        LOOP(PLAIN, rows)                                                                           \
    } else if (rows == (FULL)) {                                                                    \
        if (relu) { LOOP(PLUS_BIAS_RELU, FULL) } else { LOOP(PLUS_BIAS, FULL) }                     \
    } else {                                                                                        \
        if (relu) { LOOP(PLUS_BIAS_RELU, rows) } else { LOOP(PLUS_BIAS, rows) }                     \
    }

CLONES
void pw_winograd4_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    winograd4_input(x, xs, y, ys, n);
}

CLONES
void pw_winograd4_output(const float *restrict x, long xs, float *restrict y, long ys, long rows, const float *restrict bias,
                         int relu, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;
    OUTPUT_TRANSFORM_CASES(WINOGRAD4_OUTPUT_LOOP, 4)
}

CLONES
void pw_winograd6_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs, *x5 = x + 5 * xs, *x6 = x + 6 * xs,
                *x7 = x + 7 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys, *y6 = y + 6 * ys,
          *y7 = y + 7 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
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
    CHANNEL_LOOP for (long c = 0; c < n; c++) {                                                                   \
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
    OUTPUT_TRANSFORM_CASES(WINOGRAD6_OUTPUT_LOOP, 6)
}

CLONES
void pw_winograd_weights(const float *restrict w, long cin, long cout, const double *restrict g, long alpha, long ciBegin,
                         long ciEnd, float *restrict u, double *restrict scratch) {
    double *k = scratch, *t = scratch + 9 * cout;  // k[tap][co], t[i·3 + b][co]
    for (long ci = ciBegin; ci < ciEnd; ci++) {
        for (long co = 0; co < cout; co++)
            for (long tap = 0; tap < 9; tap++) k[tap * cout + co] = (double)w[(co * cin + ci) * 9 + tap];
        for (long i = 0; i < alpha; i++) {  // t = G · k (α×3)
            double g0 = g[i * 3], g1 = g[i * 3 + 1], g2 = g[i * 3 + 2];
            for (long b = 0; b < 3; b++) {
                const double *k0 = k + b * cout, *k1 = k + (3 + b) * cout, *k2 = k + (6 + b) * cout;
                double *out = t + (i * 3 + b) * cout;
                for (long co = 0; co < cout; co++) out[co] = g0 * k0[co] + g1 * k1[co] + g2 * k2[co];
            }
        }
        for (long i = 0; i < alpha; i++) {  // U = t · Gᵀ (α×α)
            const double *t0 = t + (i * 3) * cout, *t1 = t + (i * 3 + 1) * cout, *t2 = t + (i * 3 + 2) * cout;
            for (long j = 0; j < alpha; j++) {
                double g0 = g[j * 3], g1 = g[j * 3 + 1], g2 = g[j * 3 + 2];
                float *out = u + ((i * alpha + j) * cin + ci) * cout;
                for (long co = 0; co < cout; co++) out[co] = (float)(t0[co] * g0 + t1[co] * g1 + t2[co] * g2);
            }
        }
    }
}

CLONES
void pw_winograd4_kernel_gradient(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c], a2 = x2[c], a3 = x3[c];
        float even = a0 + a2, odd = a1 + a3;
        y0[c] = 0.25f * a0;
        y1[c] = -(even + odd) / 6;
        y2[c] = (odd - even) / 6;
        y3[c] = a0 / 24 + a1 / 12 + a2 / 6 + a3 / 3;
        y4[c] = a0 / 24 - a1 / 12 + a2 / 6 - a3 / 3;
        y5[c] = a3;
    }
}

CLONES
void pw_winograd4_weight_gradient_output(const float *restrict s, long cin, long cout, long ciBegin, long ciEnd,
                                         float *restrict dw, float *restrict scratch) {
    for (long ci = ciBegin; ci < ciEnd; ci++) {
        // S[p][ci][·] is contiguous in co: the 6×6 → 3×3 reduction runs over co vectors.
        const float *sp[36];
        for (long p = 0; p < 36; p++) sp[p] = s + (p * cin + ci) * cout;
        for (long co = 0; co < cout; co++) {
            float r[18];
            for (long i = 0; i < 6; i++) {  // r[i][k] = Σ_j S[i][j] A'[j][k]
                float s0 = sp[i * 6][co], s1 = sp[i * 6 + 1][co], s2 = sp[i * 6 + 2][co], s3 = sp[i * 6 + 3][co],
                      s4 = sp[i * 6 + 4][co], s5 = sp[i * 6 + 5][co];
                r[i * 3] = s0 + s1 + s2 + s3 + s4;
                r[i * 3 + 1] = s1 - s2 + 2 * (s3 - s4);
                r[i * 3 + 2] = s1 + s2 + 4 * (s3 + s4) + s5;
            }
            for (long k = 0; k < 3; k++) {
                float r0 = r[k], r1 = r[3 + k], r2 = r[6 + k], r3 = r[9 + k], r4 = r[12 + k], r5 = r[15 + k];
                scratch[k * cout + co] = r0 + r1 + r2 + r3 + r4;
                scratch[(3 + k) * cout + co] = r1 - r2 + 2 * (r3 - r4);
                scratch[(6 + k) * cout + co] = r1 + r2 + 4 * (r3 + r4) + r5;
            }
        }
        for (long co = 0; co < cout; co++)
            for (long tap = 0; tap < 9; tap++) dw[(co * cin + ci) * 9 + tap] = scratch[tap * cout + co];
    }
}
