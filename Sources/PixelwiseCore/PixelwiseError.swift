/// Errors from the library. Each describes itself in one line that names the thing at fault
/// (a layer, a parameter path, a file) and, where shapes are involved, the shapes.
public enum PixelwiseError: Error, CustomStringConvertible, Equatable {
    /// Shapes that do not fit together, e.g. `conv1: input [1,3,8,8] has 3 channels, expected 1`.
    case shapeMismatch(String)
    /// A bad argument or configuration value.
    case invalidArgument(String)
    /// The compute backend (oneDNN) refused or failed; `BackendFailure.kind` says how.
    case backend(BackendFailure)
    /// A file that cannot be read or written: the path and the problem.
    case file(path: String, problem: String)
    /// Training cannot go on (NaN loss, exploding loss).
    case training(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m), .invalidArgument(let m), .training(let m): m
        case .backend(let failure): failure.description
        case .file(let path, let problem): "\(path): \(problem)"
        }
    }

    /// The same error with `name` (a graph node, a step) put in front of its message: the kind is kept.
    public func located(at name: String) -> PixelwiseError {
        switch self {
        case .shapeMismatch(let m): return .shapeMismatch("\(name): \(m)")
        case .invalidArgument(let m): return .invalidArgument("\(name): \(m)")
        case .training(let m): return .training("\(name): \(m)")
        case .backend(var failure):
            failure.operation = "\(name): \(failure.operation)"
            return .backend(failure)
        case .file(let path, let problem): return .file(path: path, problem: "\(name): \(problem)")
        }
    }
}

/// Why the compute backend failed, by its status code (not by message text), and for what operation.
public struct BackendFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// The backend has no kernel for this operation with these shapes, formats or data types
        /// (oneDNN's `dnnl_unimplemented`; e.g. bf16 on a CPU without bf16 arithmetic).
        case unimplemented
        /// The operation's description is inconsistent (`dnnl_invalid_arguments`).
        case invalidArguments
        case outOfMemory
        /// Any other failure while running (`dnnl_runtime_error` and the rest).
        case runtimeError
    }

    public var kind: Kind
    /// What was being set up or run, e.g. `oneDNN convolution [1, 16, 8, 8]→[1, 16, 6, 6]`.
    public var operation: String

    public init(_ kind: Kind, operation: String) {
        self.kind = kind
        self.operation = operation
    }

    public var description: String { "\(operation): \(kind.message)" }
}

extension BackendFailure.Kind {
    /// oneDNN's wording (`dnnl_status2str`), which the messages have always used.
    var message: String {
        switch self {
        case .unimplemented: "unimplemented"
        case .invalidArguments: "invalid_arguments"
        case .outOfMemory: "out_of_memory"
        case .runtimeError: "runtime_error"
        }
    }
}
