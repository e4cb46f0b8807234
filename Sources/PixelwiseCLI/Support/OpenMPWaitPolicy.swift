import Foundation

/// oneDNN (Debian's build) runs its threads on libgomp, whose idle threads spin for a long while
/// (GOMP_SPINCOUNT 300 000) after each parallel region before they sleep. Between oneDNN calls
/// Pixelwise runs its own loops on other threads, and on a 2-core machine with anything else
/// running those spinning threads take the cores the work needs (measurements: docs/performance.md,
/// "Threads").
///
/// libgomp reads its settings once, when it is loaded, before `main` runs; so the only way to
/// change them for this process is to set the variable and start the binary again. A setting
/// the user made (GOMP_SPINCOUNT or OMP_WAIT_POLICY) is always kept.
enum OpenMPWaitPolicy {
    static let spinCount = "10000"

    /// Re-executes this binary with GOMP_SPINCOUNT set, once; returns if it is already set (or
    /// the re-execution is impossible, in which case the defaults apply).
    static func applyByReexecutingIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["GOMP_SPINCOUNT"] == nil, environment["OMP_WAIT_POLICY"] == nil else { return }
        setenv("GOMP_SPINCOUNT", spinCount, 1)
        // /proc/self/exe is this very binary even when argv[0] is a bare name found on PATH.
        // execv returns only on failure: then carry on with libgomp's defaults.
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
