import Foundation

/// A fresh folder under the system temporary directory, removed when the test ends.
final class ScratchFolder: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("pixelwise-hdf5-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names of the entries in the folder, sorted.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// The bit patterns of `values`, to compare floats exactly (−0 ≠ +0, NaN payloads kept).
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
