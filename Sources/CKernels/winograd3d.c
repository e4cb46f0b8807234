// The pieces of WinogradConvolution3D.swift that are not F(4×4)'s unrolled 1-D transforms (which it
// reuses along each axis): a general matrix applied along one axis of channel vectors, and the
// 3×3×3 weight transform. See ckernels.h for why they are in C.
#include "ckernels.h"
#include "clones.h"

#pragma STDC FP_CONTRACT OFF

#include "winograd4.h"

// F(2)'s one-axis transforms: Bᵀ (4 → 4), Aᵀ (4 → 2), A (2 → 4).
static inline void winograd2_input(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c], a2 = x2[c], a3 = x3[c];
        y0[c] = a0 - a2;
        y1[c] = a1 + a2;
        y2[c] = a2 - a1;
        y3[c] = a1 - a3;
    }
}

static inline void winograd2_output_plain(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    float *y0 = y, *y1 = y + ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a1 = x1[c], a2 = x2[c];
        y0[c] = x0[c] + a1 + a2;
        y1[c] = a1 - a2 - x3[c];
    }
}

static inline void winograd2_gradient(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c];
        y0[c] = a0;
        y1[c] = a0 + a1;
        y2[c] = a0 - a1;
        y3[c] = -a1;
    }
}

// F(4)'s A (4 → 6): the rows of Aᵀ's columns.
static inline void winograd4_gradient(const float *restrict x, long xs, float *restrict y, long ys, long n) {
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys, *y5 = y + 5 * ys;
    CHANNEL_LOOP for (long c = 0; c < n; c++) {
        float a0 = x0[c], a1 = x1[c], a2 = x2[c], a3 = x3[c];
        float s02 = a0 + a2, s13 = a1 + a3, f02 = a0 + 4 * a2, f13 = 2 * a1 + 8 * a3;
        y0[c] = a0;
        y1[c] = s02 + s13;
        y2[c] = s02 - s13;
        y3[c] = f02 + f13;
        y4[c] = f02 - f13;
        y5[c] = a3;
    }
}

CLONES
void pw_winograd3d_input(long tile, const float *restrict x, long zs, long ys, long xs, float *restrict scratch, float *restrict v,
                         long vs, long n) {
    const long a = tile + 2;
    float *t1 = scratch, *t2 = scratch + a * a * a * n;
    if (tile == 4) {
        for (long j = 0; j < a; j++)
            for (long l = 0; l < a; l++) winograd4_input(x + j * ys + l * xs, zs, t1 + (j * a + l) * n, a * a * n, n);
        for (long i = 0; i < a; i++)
            for (long l = 0; l < a; l++) winograd4_input(t1 + (i * a * a + l) * n, a * n, t2 + (i * a * a + l) * n, a * n, n);
        for (long ij = 0; ij < a * a; ij++) winograd4_input(t2 + ij * a * n, n, v + ij * a * vs, vs, n);
    } else {
        for (long j = 0; j < a; j++)
            for (long l = 0; l < a; l++) winograd2_input(x + j * ys + l * xs, zs, t1 + (j * a + l) * n, a * a * n, n);
        for (long i = 0; i < a; i++)
            for (long l = 0; l < a; l++) winograd2_input(t1 + (i * a * a + l) * n, a * n, t2 + (i * a * a + l) * n, a * n, n);
        for (long ij = 0; ij < a * a; ij++) winograd2_input(t2 + ij * a * n, n, v + ij * a * vs, vs, n);
    }
}

CLONES
void pw_winograd3d_output(long tile, const float *restrict m, long ms, float *restrict scratch, float *restrict y, long yzs, long yys,
                          long yxs, long rowsZ, long rowsY, long rowsX, const float *restrict bias, int relu, long n) {
    const long a = tile + 2, mt = tile;
    float *s1 = scratch, *s2 = scratch + a * a * mt * n;
    if (tile == 4) {
        for (long ij = 0; ij < a * a; ij++) winograd4_output_plain(m + ij * a * ms, ms, s1 + ij * mt * n, n, n);
        for (long i = 0; i < a; i++)
            for (long ox = 0; ox < mt; ox++)
                winograd4_output_plain(s1 + (i * a * mt + ox) * n, mt * n, s2 + (i * mt * mt + ox) * n, mt * n, n);
    } else {
        for (long ij = 0; ij < a * a; ij++) winograd2_output_plain(m + ij * a * ms, ms, s1 + ij * mt * n, n, n);
        for (long i = 0; i < a; i++)
            for (long ox = 0; ox < mt; ox++)
                winograd2_output_plain(s1 + (i * a * mt + ox) * n, mt * n, s2 + (i * mt * mt + ox) * n, mt * n, n);
    }
    // Along z with bias and ReLU, into the voxels inside the output.
    for (long oy = 0; oy < rowsY; oy++)
        for (long ox = 0; ox < rowsX; ox++) {
            const float *src = s2 + (oy * mt + ox) * n;
            float *out = y + oy * yys + ox * yxs;
            if (tile == 4) {
                pw_winograd4_output(src, mt * mt * n, out, yzs, rowsZ, bias, relu, n);
                continue;
            }
            const float *x0 = src, *x1 = src + 4 * n, *x2 = x1 + 4 * n, *x3 = x2 + 4 * n;
            float *y0 = out, *y1 = out + yzs;
            CHANNEL_LOOP for (long c = 0; c < n; c++) {
                float a1 = x1[c], a2 = x2[c];
                float v0 = x0[c] + a1 + a2 + bias[c], v1 = a1 - a2 - x3[c] + bias[c];
                y0[c] = relu && v0 < 0 ? 0 : v0;
                if (rowsZ > 1) y1[c] = relu && v1 < 0 ? 0 : v1;
            }
        }
}

CLONES
void pw_winograd3d_output_gradient(long tile, const float *restrict e, float *restrict scratch, float *restrict dst, long ds, long n) {
    const long al = tile + 2, mt = tile;
    float *e1 = scratch, *e2 = scratch + al * mt * mt * n;
    if (tile == 4) {
        for (long yx = 0; yx < mt * mt; yx++) winograd4_gradient(e + yx * n, mt * mt * n, e1 + yx * n, mt * mt * n, n);
        for (long i = 0; i < al; i++)
            for (long x = 0; x < mt; x++) winograd4_gradient(e1 + (i * mt * mt + x) * n, mt * n, e2 + (i * al * mt + x) * n, mt * n, n);
        for (long ij = 0; ij < al * al; ij++) winograd4_gradient(e2 + ij * mt * n, n, dst + ij * al * ds, ds, n);
    } else {
        for (long yx = 0; yx < mt * mt; yx++) winograd2_gradient(e + yx * n, mt * mt * n, e1 + yx * n, mt * mt * n, n);
        for (long i = 0; i < al; i++)
            for (long x = 0; x < mt; x++) winograd2_gradient(e1 + (i * mt * mt + x) * n, mt * n, e2 + (i * al * mt + x) * n, mt * n, n);
        for (long ij = 0; ij < al * al; ij++) winograd2_gradient(e2 + ij * mt * n, n, dst + ij * al * ds, ds, n);
    }
}

CLONES
void pw_matrix_vectors(const float *restrict m, long rows, long cols, const float *restrict x, long xs, float *restrict y,
                       long ys, long n) {
    for (long i = 0; i < rows; i++) {
        float *restrict out = y + i * ys;
        int first = 1;
        for (long k = 0; k < cols; k++) {
            const float c = m[i * cols + k];
            if (c == 0) continue;
            const float *restrict src = x + k * xs;
            if (first) {
                CHANNEL_LOOP for (long j = 0; j < n; j++) out[j] = c * src[j];
                first = 0;
            } else {
                CHANNEL_LOOP for (long j = 0; j < n; j++) out[j] += c * src[j];
            }
        }
        if (first) CHANNEL_LOOP for (long j = 0; j < n; j++) out[j] = 0;
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
