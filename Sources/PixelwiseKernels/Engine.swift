import CDNNL
import Foundation
import PixelwiseCore

/// The oneDNN CPU engine and stream every primitive runs on. One per process: oneDNN threads
/// internally (OpenMP), so Pixelwise calls it from one thread at a time.
public final class Engine: @unchecked Sendable {
    public static let shared = Engine()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// The stream is not thread-safe: primitives run one at a time (each uses every core).
    let lock = NSLock()

    private init() {
        var e: dnnl_engine_t?
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine_create")
        engine = e!
        var s: dnnl_stream_t?
        check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        stream = s!
    }

    /// Waits until every submitted primitive has finished.
    func wait() { check(dnnl_stream_wait(stream), "stream_wait") }
}

/// oneDNN failures are programming errors in Pixelwise (descriptors are validated before they
/// reach oneDNN), so they stop with the call that failed and oneDNN's status name.
@inline(__always)
func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    if status != dnnl_success {
        fatalError("oneDNN \(what()) failed: \(String(cString: dnnl_status2str(status)))")
    }
}

/// Like `check` but throws `PixelwiseError.backend` with the failure's kind (from the status code),
/// for calls whose failure depends on user-chosen shapes.
@inline(__always)
func attempt(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    if status != dnnl_success {
        throw PixelwiseError.backend(BackendFailure(BackendFailure.Kind(status), operation: "oneDNN \(what())"))
    }
}

extension BackendFailure.Kind {
    /// The kind of a oneDNN status other than `dnnl_success`.
    init(_ status: dnnl_status_t) {
        switch status {
        case dnnl_unimplemented: self = .unimplemented
        case dnnl_invalid_arguments: self = .invalidArguments
        case dnnl_out_of_memory: self = .outOfMemory
        default: self = .runtimeError
        }
    }
}
