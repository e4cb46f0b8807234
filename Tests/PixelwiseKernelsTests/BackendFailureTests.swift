import CDNNL
import PixelwiseCore
import Testing
@testable import PixelwiseKernels

/// oneDNN failures become typed errors by their status code.
@Suite struct BackendFailureTests {
    @Test func statusCodesMapToKinds() {
        #expect(BackendFailure.Kind(dnnl_unimplemented) == .unimplemented)
        #expect(BackendFailure.Kind(dnnl_invalid_arguments) == .invalidArguments)
        #expect(BackendFailure.Kind(dnnl_out_of_memory) == .outOfMemory)
        #expect(BackendFailure.Kind(dnnl_runtime_error) == .runtimeError)
        #expect(BackendFailure.Kind(dnnl_iterator_ends) == .runtimeError)
    }

    @Test func inconsistentPoolingIsInvalidArguments() throws {
        let x = Tensor.random([1, 2, 4, 4], seed: 1).inLayout(.channelsLast)
        // A 2×2 window with stride 2 gives 2×2, not 3×3: oneDNN refuses the description.
        do {
            _ = try PoolingKernel.forward(.max, x, outputShape: [1, 2, 3, 3], kernel: [2, 2], stride: [2, 2],
                                          paddingLow: [0, 0], paddingHigh: [0, 0], training: false)
            Issue.record("no error")
        } catch PixelwiseError.backend(let failure) {
            #expect(failure.kind == .invalidArguments)
            #expect(failure.description.hasPrefix("oneDNN max pooling [1,2,4,4]→[1,2,3,3]"), "\(failure)")
        }
    }

    @Test func locatedKeepsTheKind() {
        let failure = BackendFailure(.unimplemented, operation: "oneDNN convolution")
        #expect(PixelwiseError.backend(failure).located(at: "enc1.conv1")
                == .backend(BackendFailure(.unimplemented, operation: "enc1.conv1: oneDNN convolution")))
        #expect(PixelwiseError.invalidArgument("bad").located(at: "n") == .invalidArgument("n: bad"))
        #expect(PixelwiseError.shapeMismatch("bad").located(at: "n").description == "n: bad")
        #expect(PixelwiseError.file(path: "/a.h5", problem: "gone").located(at: "n") == .file(path: "/a.h5", problem: "n: gone"))
    }
}
