import Foundation

/// Runs the built `pixelwise` binary as a subprocess, the way a user does, and captures what it
/// says. stdout and stderr go to files (not pipes), so a chatty command can never block on a
/// full pipe while the test waits for it.
struct CLI {
    /// What one invocation did.
    struct Result {
        var status: Int32
        /// True when the process ended by a signal (then `status` is the signal number).
        var signalled: Bool
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        /// The whole invocation, for failure messages.
        var transcript: String { "exit \(status)\(signalled ? " (signal)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// The `pixelwise` executable SwiftPM built next to this test bundle: the test binary is
    /// `.build/<triple>/<config>/PixelwisePackageTests.xctest`, the tool `.build/<triple>/<config>/pixelwise`.
    /// The test target depends on the executable target, so `swift build --build-tests` builds both.
    static let executable: String = {
        let fm = FileManager.default
        var candidates: [URL] = []
        let running = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(running.deletingLastPathComponent().appendingPathComponent("pixelwise"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("pixelwise"))
        // Fallback from this source file: <package>/Tests/PixelwiseCLITests/Support/CLI.swift.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["release", "debug"] {
            candidates.append(package.appendingPathComponent(".build/\(configuration)/pixelwise"))
        }
        return candidates.first { fm.isExecutableFile(atPath: $0.path) }?.path ?? candidates[0].path
    }()

    /// Starts `pixelwise arguments…` in `folder`; call `wait` on the returned handle. With a
    /// `launcher` (e.g. `mpirun -np 2`), runs `launcher… pixelwise arguments…` instead.
    static func start(_ arguments: [String], in folder: String, launcher: [String] = [], environment extra: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? executable)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["COLUMNS"] = "100"
        process.environment = environment
        let id = UUID().uuidString
        let out = NSTemporaryDirectory() + "/pixelwise-cli-\(id).out", err = NSTemporaryDirectory() + "/pixelwise-cli-\(id).err"
        for path in [out, err] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, stdoutPath: out, stderrPath: err)
    }

    /// Runs `pixelwise arguments…` in `folder` to the end (killed after `timeout` seconds).
    static func run(_ arguments: [String], in folder: String, timeout: Double = 120) throws -> Result {
        try start(arguments, in: folder).wait(timeout: timeout)
    }

    /// Open MPI's launcher, which scripts/install-deps installs.
    static let mpirun = "/usr/bin/mpirun"

    /// Runs `mpirun -np processes pixelwise arguments…` in `folder`. Open MPI refuses to start as
    /// root unless told that is intended (containers and CI run as root); `--oversubscribe` lets
    /// a test start more processes than the machine has cores.
    static func runUnderMPI(processes: Int, _ arguments: [String], in folder: String, timeout: Double = 120) throws -> Result {
        try start(arguments, in: folder, launcher: [mpirun, "-np", String(processes), "--oversubscribe"],
                  environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]).wait(timeout: timeout)
    }

    /// A started process.
    struct Running {
        let process: Process
        let stdoutPath: String
        let stderrPath: String

        var stderrSoFar: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        func wait(timeout: Double) throws -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            process.waitUntilExit()
            defer {
                try? FileManager.default.removeItem(atPath: stdoutPath)
                try? FileManager.default.removeItem(atPath: stderrPath)
            }
            return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                          stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
        }
    }
}
