// The pieces of WinogradConvolution3D.swift that are not F(4×4)'s unrolled 1-D transforms (which it
// reuses along each axis): a general matrix applied along one axis of channel vectors, and the
// 3×3×3 weight transform. See ckernels.h for why they are in C.
#include "ckernels.h"
#include "clones.h"

#pragma STDC FP_CONTRACT OFF

CLONES
void pw_matrix_vectors(const float *restrict m, long rows, long cols, const float *restrict x, long xs, float *restrict y,
                       long ys, const float *restrict bias, int relu, long n) {
    for (long i = 0; i < rows; i++) {
        float *restrict out = y + i * ys;
        int first = 1;
        for (long k = 0; k < cols; k++) {
            const float c = m[i * cols + k];
            if (c == 0) continue;
            const float *restrict src = x + k * xs;
            if (first) {
                for (long j = 0; j < n; j++) out[j] = c * src[j];
                first = 0;
            } else {
                for (long j = 0; j < n; j++) out[j] += c * src[j];
            }
        }
        if (first) for (long j = 0; j < n; j++) out[j] = 0;
        if (bias) {
            if (relu) {
                for (long j = 0; j < n; j++) { const float v = out[j] + bias[j]; out[j] = v > 0 ? v : 0; }
            } else {
                for (long j = 0; j < n; j++) out[j] += bias[j];
            }
        }
    }
}

CLONES
void pw_winograd3d_weights(const float *restrict w, long cin, long cout, const double *restrict g, long alpha, long ciBegin,
                           long ciEnd, float *restrict u, double *restrict scratch) {
    const long a = alpha;
    double *restrict k = scratch;                 // [27][cout]: g[co] for one ci, kernel offset first
    double *restrict t1 = k + 27 * cout;          // [α][3][3][cout]: along z
    double *restrict t2 = t1 + 9 * a * cout;      // [α][α][3][cout]: along y
    for (long ci = ciBegin; ci < ciEnd; ci++) {
        for (long co = 0; co < cout; co++)
            for (long o = 0; o < 27; o++) k[o * cout + co] = w[(co * cin + ci) * 27 + o];
        for (long i = 0; i < a; i++)
            for (long bc = 0; bc < 9; bc++) {
                double *restrict out = t1 + (i * 9 + bc) * cout;
                const double g0 = g[i * 3], g1 = g[i * 3 + 1], g2 = g[i * 3 + 2];
                const double *k0 = k + bc * cout, *k1 = k + (9 + bc) * cout, *k2 = k + (18 + bc) * cout;
                for (long co = 0; co < cout; co++) out[co] = g0 * k0[co] + g1 * k1[co] + g2 * k2[co];
            }
        for (long i = 0; i < a; i++)
            for (long j = 0; j < a; j++)
                for (long c = 0; c < 3; c++) {
                    double *restrict out = t2 + ((i * a + j) * 3 + c) * cout;
                    const double g0 = g[j * 3], g1 = g[j * 3 + 1], g2 = g[j * 3 + 2];
                    const double *s = t1 + (i * 9 + c) * cout;
                    for (long co = 0; co < cout; co++) out[co] = g0 * s[co] + g1 * s[3 * cout + co] + g2 * s[6 * cout + co];
                }
        for (long ij = 0; ij < a * a; ij++)
            for (long l = 0; l < a; l++) {
                const long p = ij * a + l;
                float *restrict out = u + (p * cin + ci) * cout;
                const double g0 = g[l * 3], g1 = g[l * 3 + 1], g2 = g[l * 3 + 2];
                const double *s = t2 + ij * 3 * cout;
                for (long co = 0; co < cout; co++) out[co] = (float)(g0 * s[co] + g1 * s[cout + co] + g2 * s[2 * cout + co]);
            }
    }
}
