import Foundation

/// A fresh folder under the system temporary directory, removed when the last reference goes.
final class ScratchFolder: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pixelwise-cli-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    /// Entries of a sub-folder (or of the scratch folder), sorted, hidden files included.
    func contents(_ name: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: name.map(file) ?? path)) ?? []).sorted()
    }

    func makeFolder(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
    }
}
