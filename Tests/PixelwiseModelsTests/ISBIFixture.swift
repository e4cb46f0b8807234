import Foundation
@testable import PixelwiseModels
import PixelwiseCore

/// The committed 128×128 ISBI 2012 crop (Fixtures/README.md): image scaled to zero mean, unit-ish
/// range; labels 1 = cell interior, 0 = membrane.
enum ISBIFixture {
    static let size = 128

    static let bytes: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/isbi-train00-crop128.bin")
        return [UInt8]((try? Data(contentsOf: url)) ?? Data())
    }()

    /// Pixel (y, x) of the crop, mirrored at the borders so that any window around it exists
    /// (Ronneberger's overlap-tile extrapolation).
    static func mirrored(_ i: Int) -> Int {
        let period = 2 * (size - 1)
        let m = ((i % period) + period) % period
        return m < size ? m : period - m
    }

    /// An n×n input (1, 1, n, n) centred on the crop and the labels of its central out×out region.
    static func sample(input n: Int, output out: Int) -> (Tensor, [Int32]) {
        precondition(bytes.count == 2 * size * size, "fixture missing")
        let top = (size - n) / 2, border = (n - out) / 2
        var image = [Float](), labels = [Int32]()
        for y in 0..<n { for x in 0..<n {
            let p = mirrored(top + y) * size + mirrored(top + x)
            image.append((Float(bytes[p]) - 134) / 50)
        } }
        for y in 0..<out { for x in 0..<out {
            let p = mirrored(top + border + y) * size + mirrored(top + border + x)
            labels.append(bytes[size * size + p] > 127 ? 1 : 0)
        } }
        return (Tensor(shape: [1, 1, n, n], scalars: image), labels)
    }
}
