import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseDistributed
import PixelwiseWorkflow

/// Asked to stop by SIGINT/SIGTERM. A C signal handler captures nothing, so this one value is global.
private let stopRequest = StopRequest()

/// SIGINT/SIGTERM: the first asks for a clean stop at the next iteration; a second one, while the
/// checkpoint is being written, quits at once (checkpoints are written atomically).
private func requestStop(_ signal: Int32) {
    if !stopRequest.request(code: signal) { _exit(128 + signal) }
}

/// `pixelwise train`: fit a model to raw/label image pairs. The flags are the rows of
/// `Recipe.options`; the work is `TrainingSession`'s.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a segmentation model on raw and label images.",
        discussion: """
        Writes RUN_DIR/model.h5 (best by validation Rand error, or the latest without validation), \
        RUN_DIR/last.h5 (full state for --resume), RUN_DIR/log.csv, RUN_DIR/config.yaml and \
        RUN_DIR/report.html. Every flag can also be set in a YAML file given with --config, using \
        the flag's name with '_' for '-' (flags win over the file). Ctrl-C (or SIGTERM) saves a checkpoint and stops; \
        `pixelwise train --resume RUN_DIR [--iterations N]` continues exactly where it stopped. \
        Data-parallel training: `mpirun -np N pixelwise train ...` (Open MPI) splits every batch \
        over N processes and averages their gradients; process 0 writes the run folder.

        RECIPE OPTIONS:
        \(Recipe.flagHelp)
        """)

    @Option(help: "YAML configuration file.") var config: String?
    @Option(help: "Continue the run in this folder from its last.h5.") var resume: String?
    @Argument(parsing: .allUnrecognized, help: "Recipe options (below).") var recipeFlags: [String] = []

    /// Words that do not parse are usage errors (exit 64, with the usage); names that name nothing are not.
    func validate() throws {
        do { _ = try Recipe(flags: recipeFlags) } catch let error as RecipeFlagError { throw ValidationError(error.description) } catch {}
    }

    func run() throws {
        installStopHandlers()
        let flags = try Recipe(flags: recipeFlags)
        let recipe = try config.map(Recipe.load).map { $0.overridden(by: flags) } ?? flags
        guard MPIProcessGroup.isLaunchedByMPI else {
            try train(TrainingSession(recipe: recipe, resume: resume))
            return
        }
        // One of several processes started by mpirun: data-parallel training.
        let group = try MPIProcessGroup()
        do {
            try train(TrainingSession(recipe: recipe, resume: resume, processes: group, localProcesses: group.localSize))
            group.finish()
        } catch let code as ExitCode {
            group.finish()  // a signal stopped every process at the same iteration
            throw code
        } catch {
            // Process 0 reports; then MPI_Abort ends every process, including any that waits in
            // an exchange for the one that failed. The others give process 0 time to report the
            // error they share with it (every process reads the same data and configuration).
            if group.rank == 0 {
                let text = (error as? PixelwiseError)?.description ?? "\(error)"
                FileHandle.standardError.write(Data("pixelwise: error: \(text)\n".utf8))
            } else {
                sleep(5)
            }
            group.abort(code: 1)
        }
    }

    /// Runs the session, printing its progress on process 0; a stop request becomes exit code 128 + signal.
    func train(_ session: TrainingSession) throws {
        var progress: ProgressDisplay?
        session.onEvent = { event in
            guard session.isFirstProcess else { return }
            switch event {
            case .started(let start):
                log(start.description)
                progress = ProgressDisplay(total: start.iterations, minutes: start.minutes)
            case let .step(iteration, loss, _, patchesPerSecond, elapsed):
                progress?.update(iteration: iteration, loss: loss, patchesPerSecond: patchesPerSecond, elapsed: elapsed)
            case let .validation(iteration, scores, isBest):
                progress?.note(String(format: "validation at %d: pixel error %.4f, Rand error %.4f, IoU %.4f", iteration,
                                      scores.pixelError, scores.randError, scores.foregroundIoU)
                               + (isBest ? " (best so far, saved model.h5)" : ""))
            case let .classValidation(iteration, scores, isBest):
                let perClass = scores.classes.map { "\($0.name) " + ($0.dice.map { String(format: "%.4f", $0) } ?? "–") }.joined(separator: ", ")
                progress?.note(String(format: "validation at %d: mean Dice %.4f, mean IoU %.4f", iteration, scores.meanDice ?? 0, scores.meanIoU ?? 0)
                               + " (Dice: \(perClass))" + (isBest ? " (best so far, saved model.h5)" : ""))
            case .warning(let message):
                log(message)
            }
        }
        let outcome = try session.run(stop: stopRequest)
        progress?.finish()
        switch outcome {
        case .stopped(let iteration, let code):
            if session.isFirstProcess {
                let processes = session.processes?.size ?? 1
                log("pixelwise: interrupted at iteration \(iteration): checkpoint saved in \(session.folder)/last.h5; "
                    + "continue with `\(processes > 1 ? "mpirun -np \(processes) " : "")pixelwise train --resume \(session.folder)`")
            }
            throw ExitCode(128 + code)
        case .finished(let iteration):
            if session.isFirstProcess {
                log("finished at iteration \(iteration); model \(session.folder)/model.h5, report \(session.folder)/report.html")
            }
        }
    }

    /// SIGINT/SIGTERM are taken by one thread that waits for them (`sigwait`), never by a handler that
    /// interrupts the training thread: an asynchronous handler breaking into oneDNN's GEMM (inside
    /// malloc/free) was followed, once in ~20 interrupted runs, by a corrupted heap. Both signals are
    /// blocked here, first thing, so this thread and every thread it starts (prefetching, OpenMP) leave
    /// them to the waiter; the handlers stay installed for threads started before (a parent may
    /// also have started us with the signals blocked: sigwait takes them either way).
    func installStopHandlers() {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        signal(SIGINT) { requestStop($0) }
        signal(SIGTERM) { requestStop($0) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        let waiting = stopSignals
        let waiter = Thread {
            var signals = waiting
            while true {
                var received: Int32 = 0
                if sigwait(&signals, &received) == 0 { requestStop(received) }
            }
        }
        waiter.name = "pixelwise.signals"
        waiter.start()
    }
}
