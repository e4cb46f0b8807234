// Small matrix products for the 3-D Winograd pipeline (WinogradConvolution3D): a few dozen rows,
// 16 to 128 columns, where a call into a general SGEMM costs more than the product itself.
#include "ckernels.h"
#include "clones.h"

// Like a general SGEMM, this may fuse multiply and add (the products are not bit-identical across
// instruction sets, as oneDNN's are not); the transforms around it keep FP_CONTRACT OFF.
#pragma STDC FP_CONTRACT ON

// Rows i..i+R-1 of C (+)= A B for columns j..j+15, R = 4 or 1, 16 accumulators per row; A(row, k)
// is A's element (a[row·lda + k], or a[k·lda + row] for Aᵀ).
#define ROW_BLOCK(R, A)                                                                                  \
    do {                                                                                              \
        float acc[R][16];                                                                             \
        for (long r = 0; r < R; r++)                                                                  \
            for (long t = 0; t < 16; t++) acc[r][t] = accumulate ? c[(i + r) * ldc + j + t] : 0;      \
        for (long k = 0; k < kk; k++) {                                                               \
            const float *restrict bk = b + k * ldb + j;                                               \
            for (long r = 0; r < R; r++) {                                                            \
                const float av = A(i + r, k);                                                \
                for (long t = 0; t < 16; t++) acc[r][t] += av * bk[t];                                \
            }                                                                                         \
        }                                                                                             \
        for (long r = 0; r < R; r++)                                                                  \
            for (long t = 0; t < 16; t++) c[(i + r) * ldc + j + t] = acc[r][t];                       \
    } while (0)

#define PLAIN_A(row, k) a[(row) * lda + (k)]
#define TRANSPOSED_A(row, k) a[(k) * lda + (row)]

#define SMALL_GEMM(A)                                                                                 \
    long j = 0;                                                                                       \
    for (; j + 16 <= n; j += 16) {                                                                    \
        long i = 0;                                                                                   \
        for (; i + 4 <= m; i += 4) ROW_BLOCK(4, A);                                                   \
        for (; i < m; i++) ROW_BLOCK(1, A);                                                           \
    }                                                                                                 \
    /* Columns left over when n is not a multiple of 16: plainly. */                                  \
    for (long i = 0; i < m; i++)                                                                      \
        for (long jj = j; jj < n; jj++) {                                                             \
            float sum = accumulate ? c[i * ldc + jj] : 0;                                             \
            for (long k = 0; k < kk; k++) sum += A(i, k) * b[k * ldb + jj];                           \
            c[i * ldc + jj] = sum;                                                                    \
        }

CLONES
void pw_small_gemm(long m, long n, long kk, const float *restrict a, long lda, const float *restrict b, long ldb, float *restrict c,
                   long ldc, int accumulate) {
    SMALL_GEMM(PLAIN_A)
}

CLONES
void pw_small_gemm_tn(long m, long n, long kk, const float *restrict a, long lda, const float *restrict b, long ldb,
                      float *restrict c, long ldc, int accumulate) {
    SMALL_GEMM(TRANSPOSED_A)
}
