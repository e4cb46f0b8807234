import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO

/// Volumes normalised box by box: type range as images are, z-scores over the whole volume.
@Suite struct NormalisedVolumeTests {
    static let geometry = VolumeGeometry(channels: 2, size: [3, 4, 5], sampleType: .uint8)
    static let values: [Float] = (0..<120).map { Float(($0 * 37) % 256) }

    @Test func typeRangeMatchesTheImagePath() throws {
        let volume = try NormalisedVolume(try InMemoryVolume(geometry: Self.geometry, values: Self.values), normalisation: RawNormalisation())
        let box = VoxelBox(origin: [1, 1, 2], size: [2, 3, 3])
        let raw = try InMemoryVolume(geometry: Self.geometry, values: Self.values).read(box)
        #expect(try volume.read(box) == raw.map { $0 * (1 / 255) * 2 - 1 })
        #expect(volume.geometry.sampleType == .float32)
    }

    /// Every box of a z-scored channel uses the whole volume's mean and standard deviation, computed by hand here.
    @Test func zScoresUseTheWholeVolume() throws {
        let normalisation = RawNormalisation(channels: .all, intensity: [.zScore(nonZeroOnly: false), .zScore(nonZeroOnly: true)])
        let volume = try NormalisedVolume(try InMemoryVolume(geometry: Self.geometry, values: Self.values), normalisation: normalisation)
        let box = VoxelBox(origin: [2, 0, 1], size: [1, 2, 2])
        let got = try volume.read(box)
        for c in 0..<2 {
            let all = Self.values[(c * 60)..<((c + 1) * 60)].map(Double.init).filter { c == 0 || $0 != 0 }
            let mean = all.reduce(0, +) / Double(all.count)
            let std = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all.count)).squareRoot()
            var i = 0
            for y in 0..<2 { for x in 1..<3 {
                let v = Double(Self.values[c * 60 + (2 * 4 + y) * 5 + x])
                let expected: Float = c == 1 && v == 0 ? 0 : Float((v - mean) / std)
                #expect(abs(got[c * 4 + i] - expected) < 1e-5)
                i += 1
            } }
        }
        #expect(throws: PixelwiseError.self) {
            try NormalisedVolume(try InMemoryVolume(geometry: Self.geometry, values: Self.values),
                                 normalisation: RawNormalisation(intensity: [.percentile(low: 1, high: 99)]))
        }
    }
}
