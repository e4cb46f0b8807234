import PixelwiseKernels
import PixelwiseWorkflow

extension Precision {
    /// The precision that will run, after telling the user (stderr) when a bf16 request falls
    /// back to fp32 because the CPU has no bf16 arithmetic.
    func checkedForThisCPU() -> Precision {
        if let warning = fallbackWarning { log(warning) }
        return effective
    }
}
