import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels

/// Completion records of a blockwise run, kept in the output store so that a run that was
/// killed (or lost a machine) is resumed by rerunning the same command: one small marker file
/// per block, `FOLDER/done-<block>`, written atomically after the block's chunks are written —
/// so a marker means the block's output is complete on disk — plus `FOLDER/run.json`, what
/// computed the blocks (model, options, input, output, block grid). A rerun whose description
/// differs refuses to touch the volume (or, asked to restart, removes every marker first), so
/// one volume never mixes the results of two computations.
public final class BlockRecords {
    public let folder: String
    /// The run's description, as stored in `run.json`.
    public let run: [String: String]

    /// Opens (or starts) the records in `folder`.
    /// - Parameters:
    ///   - run: what identifies the computation; compared with a stored `run.json`.
    ///   - restart: forget the blocks of an earlier run (same or different), instead of resuming
    ///     or refusing.
    ///   - output: what errors name.
    public init(folder: String, run: [String: String], restart: Bool = false, output: String) throws {
        self.folder = folder
        self.run = run
        let manifest = folder + "/run.json"
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw PixelwiseError.file(path: folder, problem: "cannot create the completion records (\(error.localizedDescription))")
        }
        if FileManager.default.fileExists(atPath: manifest) {
            let stored = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: manifest)))) ?? [:]
            if stored != run || restart {
                if !restart {
                    let differing = Set(stored.keys).union(run.keys).filter { stored[$0] != run[$0] }.sorted()
                    throw PixelwiseError.file(path: output, problem: "holds blocks of another run (\(differing.map { "\($0): \(stored[$0] ?? "none") now \(run[$0] ?? "none")" }.joined(separator: "; "))); rerun with --restart to start it again, or write to another output")
                }
                for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("done-") || name == "algorithms.json" {
                    try FileManager.default.removeItem(atPath: folder + "/" + name)
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(String(decoding: try encoder.encode(run), as: UTF8.self) + "\n", to: manifest)
    }

    /// The convolution algorithms every process of the run follows, kept beside the markers
    /// (`algorithms.json`): the table already there, else `measure()`'s, written so that the first
    /// writer wins when several processes start at once (a hard link, which fails when the name
    /// exists). The measured choice depends on the thread count and on timing noise; following one
    /// table makes every block what any process — and a rerun — computes.
    public func algorithms(measure: () throws -> AlgorithmTable) throws -> AlgorithmTable {
        let path = folder + "/algorithms.json"
        if !FileManager.default.fileExists(atPath: path) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let temporary = folder + "/.algorithms-\(getpid())-\(UInt32.random(in: .min ... .max)).json"
            try AtomicFile.write(String(decoding: try encoder.encode(try measure()), as: UTF8.self) + "\n", to: temporary)
            _ = link(temporary, path)  // EEXIST: another process was first; its table is the run's
            unlink(temporary)
        }
        do {
            return try JSONDecoder().decode(AlgorithmTable.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PixelwiseError.file(path: path, problem: "is not an algorithm table (\(error.localizedDescription)); rerun with --restart")
        }
    }

    func marker(_ block: Int) -> String { folder + "/done-\(block)" }

    /// Whether block `block` is complete on disk.
    public func isDone(_ block: Int) -> Bool { FileManager.default.fileExists(atPath: marker(block)) }

    /// Records block `block` as complete; call after its chunks are written.
    public func markDone(_ block: Int) throws { try AtomicFile.write("", to: marker(block)) }

    /// The blocks recorded as complete.
    public func done() -> Set<Int> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(names.compactMap { $0.hasPrefix("done-") ? Int($0.dropFirst(5)) : nil })
    }
}
