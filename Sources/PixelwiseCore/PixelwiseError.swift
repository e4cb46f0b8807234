/// Errors from the library. Each describes itself in one line that names the thing at fault
/// (a layer, a parameter path, a file) and, where shapes are involved, the shapes.
public enum PixelwiseError: Error, CustomStringConvertible, Equatable {
    /// Shapes that do not fit together, e.g. `conv1: input [1,3,8,8] has 3 channels, expected 1`.
    case shapeMismatch(String)
    /// A bad argument or configuration value.
    case invalidArgument(String)
    /// The compute backend (oneDNN) refused or failed.
    case backend(String)
    /// A file that cannot be read or written: the path and the problem.
    case file(path: String, problem: String)
    /// Training cannot go on (NaN loss, exploding loss).
    case training(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m), .invalidArgument(let m), .backend(let m), .training(let m): m
        case .file(let path, let problem): "\(path): \(problem)"
        }
    }
}
