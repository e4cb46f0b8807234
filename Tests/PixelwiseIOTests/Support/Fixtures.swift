import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO

/// Paths of the real-data fixtures (see Fixtures/README.md).
enum Fixture {
    static func path(_ name: String, _ ext: String) throws -> String {
        try #require(Bundle.module.path(forResource: name, ofType: ext, inDirectory: "Fixtures"), "fixture \(name).\(ext)")
    }
}


func bytes(of path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func write(_ bytes: [UInt8], to path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

extension Image {
    /// A deterministic image whose values use the type's whole range: integers spread over
    /// 0…max with no two neighbours equal; float values negative, fractional and > 1.
    static func pattern(width: Int, height: Int, channels: Int, type: SampleType) -> Image {
        var image = Image(width: width, height: height, channels: channels, sampleType: type)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    image[x, y, c] = switch type {
                    case .uint8: Float((x * 37 + y * 101 + c * 59) % 256)
                    case .uint16: Float((x * 2999 + y * 7919 + c * 30011) % 65536)
                    case .float32: Float(x) * 0.37 - Float(y) * 1.5e-3 + Float(c) * 2.25 - 3
                    }
                }
            }
        }
        return image
    }
}

/// Expects `body` to throw `PixelwiseError.file` naming `path`; returns the problem text.
@discardableResult
func expectFileError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
    do {
        try body()
        Issue.record("expected an error for \(path)", sourceLocation: sourceLocation)
    } catch let PixelwiseError.file(errorPath, problem) {
        #expect(errorPath == path, sourceLocation: sourceLocation)
        #expect(!problem.isEmpty, sourceLocation: sourceLocation)
        return problem
    } catch {
        Issue.record("expected PixelwiseError.file, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}
