import PixelwiseIO
import Foundation
import PixelwiseIO

/// Reads a model file as every command does: checksums verified (a mismatch is the error), and
/// a one-line warning on stderr when the file carries no checksums (older files still load).
func readModelFile(_ path: String) throws -> ModelFile {
    let file = try ModelFile.read(from: path)
    if let warning = file.integrityWarning(path: path) {
        FileHandle.standardError.write(Data("pixelwise: warning: \(warning)\n".utf8))
    }
    return file
}
