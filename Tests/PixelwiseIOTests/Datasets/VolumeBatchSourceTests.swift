import Testing
import PixelwiseCore
@testable import PixelwiseIO

/// A one-channel volume with raw(z, y, x) = 100z + 10y + x and labels = label(z, y, x).
func makeVolume(size: [Int], name: String = "volume", label: (Int, Int, Int) -> Int32 = { _, _, _ in 0 }) -> VolumeSample {
    var raw = [Float](), labels = [Int32]()
    for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] { raw.append(Float(100 * z + 10 * y + x)); labels.append(label(z, y, x)) } } }
    return VolumeSample(raw: raw, channels: 1, labels: labels, size: size, name: name)
}

@Suite struct VolumeBatchSourceTests {
    static let volume = makeVolume(size: [5, 7, 9], label: { z, y, x in Int32((z + y + x) % 3) })

    @Test func mirroredCropFollowsTheDefinition() {
        let v = Self.volume
        let grid = v.mirroredRaw(channel: 0, origin: [-2, 4, -3], size: [9, 6, 14])
        for z in 0..<9 {
            for y in 0..<6 {
                for x in 0..<14 {
                    let (sz, sy, sx) = (Mirror.reflect(-2 + z, 5), Mirror.reflect(4 + y, 7), Mirror.reflect(-3 + x, 9))
                    #expect(grid[z, y, x] == Float(100 * sz + 10 * sy + sx))
                }
            }
        }
    }

    @Test func patchReadsTheMirroredInputRegionAndTheOutputWindow() throws {
        // A valid network: input 4×8×10, output 2×4×6, context 1, 2, 2.
        let g = try VolumePatchGeometry(input: [4, 8, 10], output: [2, 4, 6])
        let source = try VolumeBatchSource(samples: [Self.volume], geometry: g, batchSize: 1, augmentation: .none, seed: 0)
        var rng = SeededGenerator(seed: 0)
        let patch = source.patch(volume: 0, origin: [0, 3, 2], using: &rng)
        #expect(patch.raw[0].size == [4, 8, 10] && patch.labels.size == [2, 4, 6])
        for z in 0..<4 {
            for y in 0..<8 {
                for x in 0..<10 {
                    let (sz, sy, sx) = (Mirror.reflect(z - 1, 5), Mirror.reflect(3 - 2 + y, 7), Mirror.reflect(2 - 2 + x, 9))
                    #expect(patch.raw[0][z, y, x] == Float(100 * sz + 10 * sy + sx))
                }
            }
        }
        for z in 0..<2 { for y in 0..<4 { for x in 0..<6 { #expect(patch.labels[z, y, x] == Int32((z + 3 + y + 2 + x) % 3)) } } }
    }

    @Test func batchesHaveTheNetworkShapesAndLabelsMoveWithRaw() throws {
        let g = try VolumePatchGeometry(input: [4, 6, 6], output: [2, 4, 4])
        var augmentation = VolumeAugmentation(rotate: true, flip: true)
        augmentation.jitter = IntensityJitter()  // geometric only, so raw values still say where they came from
        let source = try VolumeBatchSource(samples: [Self.volume], geometry: g, batchSize: 3, augmentation: augmentation, seed: 5)
        for k in 0..<8 {
            let b = source.batch(k)
            #expect(b.raw.shape == [3, 1, 4, 6, 6] && b.labels.shape == [3, 2, 4, 4])
            #expect(b.labels.scalars == b.classes.map(Float.init))
            let raw = b.raw.scalars
            for n in 0..<3 {
                for z in 0..<2 { for y in 0..<4 { for x in 0..<4 {
                    let value = Int(raw[n * 144 + ((z + 1) * 6 + y + 1) * 6 + x + 1])
                    #expect(b.classes[n * 32 + (z * 4 + y) * 4 + x] == Int32((value / 100 + value / 10 % 10 + value % 10) % 3))
                } } }
            }
        }
    }

    @Test func batchKDependsOnlyOnSeedAndK() throws {
        let g = try VolumePatchGeometry(input: [4, 4, 4], output: [4, 4, 4])
        var augmentation = VolumeAugmentation(rotate: true, flip: true, elastic: ElasticDeformation(alpha: 1, sigma: 2))
        augmentation.jitter = IntensityJitter(brightness: 0.1, contrast: 0.1, gamma: 0.1)
        let a = try VolumeBatchSource(samples: [Self.volume], geometry: g, batchSize: 2, augmentation: augmentation, seed: 3)
        let b = try VolumeBatchSource(samples: [Self.volume], geometry: g, batchSize: 2, augmentation: augmentation, seed: 3)
        _ = a.batch(0)
        #expect(a.batch(4).raw.scalars == b.batch(4).raw.scalars)
        #expect(a.batch(4).classes == b.batch(4).classes)
        #expect(a.batch(4).raw.scalars != a.batch(5).raw.scalars)
    }

    /// The prior's definition evaluated directly: a_{j,i} by counting the window's voxels.
    static func referenceProbabilities(_ v: VolumeSample, window: [Int], classes: Int) -> [[Int]: Double] {
        let counts = (0..<3).map { max(0, v.size[$0] - window[$0]) + 1 }
        var fractions = [[Int]: [Double]]()
        for z in 0..<counts[0] { for y in 0..<counts[1] { for x in 0..<counts[2] {
            var a = [Double](repeating: 0, count: classes)
            let labels = v.mirroredLabels(origin: [z, y, x], size: window).values
            for l in labels where l >= 0 { a[Int(l)] += 1 / Double(labels.count) }
            fractions[[z, y, x]] = a
        } } }
        var c = [Double](repeating: 0, count: classes)
        for a in fractions.values { for i in 0..<classes { c[i] += a[i] } }
        let total = c.reduce(0, +)
        let r = fractions.mapValues { a in (0..<classes).reduce(0.0) { $0 + (c[$1] > 0 ? a[$1] / (c[$1] / total) : 0) } }
        let z = r.values.reduce(0, +)
        return r.mapValues { $0 / z }
    }

    @Test func patchPriorFollowsItsDefinitionPerVoxel() throws {
        // A rare class 1 in one corner, ignored voxels in another.
        let v = makeVolume(size: [4, 6, 5], label: { z, y, x in z >= 2 && y >= 4 && x >= 3 ? 1 : (z == 0 && y == 0 ? LabelMap.ignore : 0) })
        let prior = try VolumePatchPrior(samples: [v], window: [2, 3, 3], classCount: 2)
        let reference = Self.referenceProbabilities(v, window: [2, 3, 3], classes: 2)
        var sum = 0.0
        for (origin, p) in reference {
            #expect(abs(prior.probability(volume: 0, origin: origin) - p) < 1e-12, "\(origin)")
            sum += prior.probability(volume: 0, origin: origin)
        }
        #expect(abs(sum - 1) < 1e-12)
        #expect(prior.posterior[1] > prior.labelFrequencies[1])
        // Draws land on windows in proportion to their probability (20 000 seeded draws).
        var rng = SeededGenerator(seed: 1)
        var seen = [[Int]: Int]()
        for _ in 0..<20_000 { seen[prior.draw(using: &rng).origin, default: 0] += 1 }
        for (origin, p) in reference { #expect(abs(Double(seen[origin] ?? 0) / 20_000 - p) < 0.01, "\(origin)") }
    }

    @Test func priorWindowsMustBeTheOutputSize() throws {
        let prior = try VolumePatchPrior(samples: [Self.volume], window: [2, 2, 2], classCount: 3)
        #expect(throws: PixelwiseError.invalidArgument("patch prior windows are [2, 2, 2], network output is [2, 4, 4]")) {
            try VolumeBatchSource(samples: [Self.volume], geometry: try VolumePatchGeometry(input: [2, 4, 4], output: [2, 4, 4]), batchSize: 1, prior: prior, seed: 0)
        }
    }
}
