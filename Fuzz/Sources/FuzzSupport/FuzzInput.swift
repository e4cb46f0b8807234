import CFuzzDriver
import Foundation
import PixelwiseCore

/// What every fuzz target does with one input: write the bytes to a file (the readers take
/// paths, as users give them), run the reader on it, and hold the reader to its promise: it
/// returns, or throws a `PixelwiseError` whose message is one line naming the file. Anything
/// else (a crash, a trap, another error type, a multi-line message) stops libFuzzer with the
/// input saved as a finding.
public enum FuzzInput {
    /// One file per process, rewritten for every input, under /dev/shm when it exists (no disk I/O).
    /// The process id is written with ten digits: a name of the same length in every run, as
    /// the readers' string handling (and so the coverage libFuzzer steers by) can depend on it.
    public static func path(suffix: String) -> String {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(folder)/pixelwise-fuzz-\(String(format: "%010d", getpid()))\(suffix)"
    }

    /// Runs libFuzzer with this process's command line, feeding every input to `read` as a file
    /// named "…`suffix`"; returns libFuzzer's exit status.
    public static func main(suffix: String, _ read: @escaping (String) throws -> Void) -> Never {
        target = (suffix, read)
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzInput.run(data, size, suffix: FuzzInput.target!.suffix, FuzzInput.target!.read)
        })
    }

    nonisolated(unsafe) static var target: (suffix: String, read: (String) throws -> Void)?

    static func run(_ data: UnsafePointer<UInt8>?, _ size: Int, suffix: String, _ read: (String) throws -> Void) -> Int32 {
        let file = path(suffix: suffix)
        let bytes = size > 0 && data != nil ? Data(bytes: data!, count: size) : Data()
        guard FileManager.default.createFile(atPath: file, contents: bytes) else { fatalError("cannot write \(file)") }
        defer { unlink(file) }
        do {
            try read(file)
        } catch let error as PixelwiseError {
            let message = error.description
            guard !message.contains("\n") else { fatalError("multi-line error: \(message)") }
            guard message.contains(file) else { fatalError("error does not name the file: \(message)") }
        } catch {
            fatalError("error that is not a PixelwiseError: \(type(of: error)): \(error)")
        }
        return 0
    }
}

/// The symbol libFuzzer's runtime links against (its own `main`, unused here, calls it): the
/// same as the callback `FuzzInput.main` hands to `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = FuzzInput.target else { return 0 }
    return FuzzInput.run(data, size, suffix: target.suffix, target.read)
}
