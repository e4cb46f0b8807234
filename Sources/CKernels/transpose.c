// Layout changes of tensors (Tensor.inLayout): see ckernels.h.
#include "ckernels.h"
#include "clones.h"

CLONES
void pw_transpose(const float *restrict src, long rows, long cols, float *restrict dst) {
    // 32 × 32 blocks (4 KB read, 4 KB written): both sides stay in L1 while a block is moved.
    enum { B = 32 };
    for (long i0 = 0; i0 < rows; i0 += B) {
        long i1 = i0 + B < rows ? i0 + B : rows;
        for (long j0 = 0; j0 < cols; j0 += B) {
            long j1 = j0 + B < cols ? j0 + B : cols;
            for (long j = j0; j < j1; j++)
                for (long i = i0; i < i1; i++) dst[j * rows + i] = src[i * cols + j];
        }
    }
}
