import Foundation
import PixelwiseIO

/// Small EM-like training data written as PNGs: cells (label 255) separated by dark membranes
/// (label 0) on a jittered grid, raw = membrane-dark / cell-bright intensities plus noise. A tiny
/// U-Net learns it within a few iterations, and it is quick to read.
enum SyntheticData {
    /// A deterministic generator (64-bit LCG, high bits), so every test run sees the same files.
    struct Noise {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    /// Label image (0 membrane, 255 cell) of `width`×`height`; membranes 2 px wide every `period` px.
    static func labels(width: Int, height: Int, period: Int = 16, seed: UInt64) -> Image {
        let shiftX = Int(seed % UInt64(period)), shiftY = Int((seed / 3) % UInt64(period))
        var pixels = [Float](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width where (x + shiftX) % period < 2 || (y + shiftY + x / 24) % period < 2 {
                pixels[y * width + x] = 0
            }
        }
        return Image(width: width, height: height, channels: 1, sampleType: .uint8, pixels: pixels)
    }

    /// The raw image for a label image: cells ≈ 170, membranes ≈ 70, ± 40 noise; `channels` 1 or 3.
    static func raw(for labels: Image, seed: UInt64, channels: Int = 1) -> Image {
        var noise = Noise(state: seed &+ 17)
        var pixels: [Float] = []
        pixels.reserveCapacity(labels.pixels.count * channels)
        for l in labels.pixels {
            let base: Float = l > 0 ? 170 : 70
            let value = (base + (noise.next() - 0.5) * 80).rounded()
            for _ in 0..<channels { pixels.append(min(255, max(0, value))) }
        }
        return Image(width: labels.width, height: labels.height, channels: channels, sampleType: .uint8, pixels: pixels)
    }

    /// Writes `count` pairs as `<folder>/images/img-k.png` and `<folder>/labels/img-k.png`.
    static func writePairs(count: Int, width: Int, height: Int, into folder: String, seed: UInt64 = 1) throws {
        for sub in ["images", "labels"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        for k in 0..<count {
            let label = labels(width: width, height: height, seed: seed &+ UInt64(k) &* 7)
            try label.write(to: folder + "/labels/img-\(k).png")
            try raw(for: label, seed: seed &+ UInt64(k)).write(to: folder + "/images/img-\(k).png")
        }
    }
}
