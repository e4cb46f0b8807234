import Foundation

/// A fresh folder under the system temporary directory, removed when the last reference goes
/// (or earlier with `remove()`).
public final class ScratchFolder: Sendable {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("pixelwise-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    /// Names of the entries of a sub-folder (or of the folder itself), sorted, hidden temporary files included.
    public func contents(_ name: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: name.map(file) ?? path).sorted()
    }

    public func makeFolder(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
