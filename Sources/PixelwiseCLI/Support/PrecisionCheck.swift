import PixelwiseNN
import PixelwiseKernels

extension Precision {
    /// The precision that will run, after telling the user (stderr) when a bf16 request falls
    /// back to fp32 because the CPU has no bf16 arithmetic: a silent fallback would make a
    /// "fast mode" look broken, and an error would make a config file machine-specific.
    func checkedForThisCPU() -> Precision {
        if self == .bfloat16 && effective != self {
            log("pixelwise: warning: this CPU has no bf16 arithmetic (AVX-512-BF16 or AMX); running in fp32")
        }
        return effective
    }
}
