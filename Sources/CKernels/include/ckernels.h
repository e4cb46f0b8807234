#ifndef PIXELWISE_CKERNELS_H
#define PIXELWISE_CKERNELS_H

/* Element-wise loops over channel vectors that must run at the CPU's vector width.
 *
 * Swift code is compiled for the baseline x86-64 (SSE2) so that one binary runs everywhere; these
 * few loops, which dominate the Winograd convolutions besides the products, are compiled here in
 * one clone per instruction set (AVX-512, AVX2, baseline) and the loader picks the clone this CPU
 * runs (GNU ifunc). Floating-point contraction is off, so every clone computes the same operations
 * in the same order: results are bit-identical on every CPU.
 *
 * Vectors are n floats; vector k of an argument x with stride s starts at x + k·s. Inputs and
 * outputs do not overlap. */

/* Winograd F(4×4, 3×3): y = Bᵀ x, six vectors in, six out. */
void pw_winograd4_input(const float *x, long xs, float *y, long ys, long n);
/* Winograd F(4×4, 3×3): y = Aᵀ x, six vectors in, four out; the first `rows` (0…4) are written,
 * plus bias[c] and, when relu != 0, max(·, 0); with bias NULL the transform alone (relu ignored). */
void pw_winograd4_output(const float *x, long xs, float *y, long ys, long rows, const float *bias, int relu, long n);
/* Winograd F(6×6, 3×3): y = Bᵀ x, eight vectors in, eight out. */
void pw_winograd6_input(const float *x, long xs, float *y, long ys, long n);
/* Winograd F(6×6, 3×3): y = Aᵀ x, eight vectors in, six out; `rows`, bias and relu as above. */
void pw_winograd6_output(const float *x, long xs, float *y, long ys, long rows, const float *bias, int relu, long n);

/* Winograd weights U[p][ci][co] = (G g Gᵀ)[p] (p < α², α = alpha) of the 3×3 kernels g = w[co][ci]
 * (OIHW) for input channels ciBegin ≤ ci < ciEnd, in double precision (G: α×3, row-major), stored
 * as float. `scratch`: (9 + 3α) · cout doubles. */
void pw_winograd_weights(const float *w, long cin, long cout, const double *g, long alpha, long ciBegin, long ciEnd,
                         float *u, double *scratch);
/* F(3×3, 4×4)'s kernel transform y = G' x (training's weight gradient): four vectors in, six out. */
void pw_winograd4_kernel_gradient(const float *x, long xs, float *y, long ys, long n);
/* F(3×3, 4×4)'s last step dL/dw[co][ci] = A'ᵀ S A' from the sums S[p][ci][co] (p < 36), for input
 * channels ciBegin ≤ ci < ciEnd, into dw (OIHW, [cout][cin][3][3]). `scratch`: 9 · cout floats. */
void pw_winograd4_weight_gradient_output(const float *s, long cin, long cout, long ciBegin, long ciEnd, float *dw,
                                         float *scratch);

/* y_i = Σ_k m[i][k] x_k for i < rows (m row-major, rows × cols, its zeros skipped): a transform of
 * any size along one axis (the last step of WinogradConvolution3D's weight gradient, Gᵀ). */
void pw_matrix_vectors(const float *m, long rows, long cols, const float *x, long xs, float *y, long ys, long n);
/* 3-D Winograd F(m³, 3³), m = tile (2 or 4), α = m + 2, one tile at a time (WinogradConvolution3D):
 * input: V[p] = (Bᵀ⊗Bᵀ⊗Bᵀ) d to v + p·vs (p = (i·α + j)·α + l), d's vector (z, y, x) at x + z·zs + y·ys + x·xs;
 * scratch 2α³·n floats. */
void pw_winograd3d_input(long tile, const float *x, long zs, long ys, long xs, float *scratch, float *v, long vs, long n);
/* output: Y = (Aᵀ⊗Aᵀ⊗Aᵀ) M (M[p] at m + p·ms) + bias, then max(·, 0) when relu != 0, written for the
 * first rowsZ × rowsY × rowsX voxels, voxel (z, y, x) at y + z·yzs + y·yys + x·yxs; scratch (α²m + αm²)·n. */
void pw_winograd3d_output(long tile, const float *m, long ms, float *scratch, float *y, long yzs, long yys, long yxs,
                          long rowsZ, long rowsY, long rowsX, const float *bias, int relu, long n);
/* dL/dw's tile transform: E[p] = (A⊗A⊗A) e of a dense m³ tile e (vectors z, y, x) to dst + p·ds;
 * scratch (αm² + α²m)·n floats. */
void pw_winograd3d_output_gradient(long tile, const float *e, float *scratch, float *dst, long ds, long n);
/* C = A B (accumulate = 0) or C += A B: A m×k (row stride lda), B k×n (ldb), C m×n (ldc), for the
 * small products of one thread's block of Winograd tiles. May use fused multiply-add. */
void pw_small_gemm(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, int accumulate);
/* The same with Aᵀ: A stored k×m (row stride lda), C = Aᵀ B or C += Aᵀ B. */
void pw_small_gemm_tn(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, int accumulate);
/* 3-D Winograd weights U[p][ci][co] = (G ⊗ G ⊗ G) g, p = (i·α + j)·α + l < α³, of the 3×3×3 kernels
 * g = w[co][ci] (OIDHW) for ciBegin ≤ ci < ciEnd, in double precision (G: α×3, row-major), stored
 * as float. `scratch`: (27 + 9α + 3α²) · cout doubles. */
void pw_winograd3d_weights(const float *w, long cin, long cout, const double *g, long alpha, long ciBegin, long ciEnd,
                           float *u, double *scratch);

/* dst[j][i] = src[i][j] for a rows × cols matrix of floats (a layout change NCHW ↔ NHWC of one
 * image: rows = channels, cols = pixels, or the reverse), in cache-sized blocks. */
void pw_transpose(const float *src, long rows, long cols, float *dst);

#endif
