import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct PatchBatchSourceTests {
    static let sample = makeSample(width: 12, height: 9, label: { x, y in Int32((x + y) % 3) })

    @Test func patchReadsTheMirroredInputRegionAndTheOutputWindow() throws {
        // Valid network: input 10 × 12, output 4 × 6, context 3 on each side.
        let g = try PatchGeometry(inputWidth: 10, inputHeight: 12, outputWidth: 4, outputHeight: 6)
        let source = try PatchBatchSource(samples: [Self.sample], geometry: g, batchSize: 1, augmentation: .none, seed: 0)
        var rng = SeededGenerator(seed: 0)
        let pair = source.patch(image: 0, x: 1, y: 2, using: &rng)
        #expect(pair.raw[0].width == 10 && pair.raw[0].height == 12)
        #expect(pair.labels.width == 4 && pair.labels.height == 6)
        for cy in 0..<12 {
            for cx in 0..<10 {
                let sx = Mirror.reflect(1 - 3 + cx, 12), sy = Mirror.reflect(2 - 3 + cy, 9)
                #expect(pair.raw[0][cx, cy] == Float(10 * sy + sx))
            }
        }
        for v in 0..<6 { for u in 0..<4 { #expect(pair.labels[u, v] == Int32((1 + u + 2 + v) % 3)) } }
    }

    @Test func batchTensorsHaveTheNetworkShapes() throws {
        let g = try PatchGeometry(input: 8, output: 4)
        let source = try PatchBatchSource(samples: [Self.sample, Self.sample], geometry: g, batchSize: 3, seed: 9)
        let b = source.batch(2)
        #expect(b.raw.shape == [3, 1, 8, 8])
        #expect(b.labels.shape == [3, 4, 4])
        #expect(b.labels.scalars == b.classes.map(Float.init))
        // Labels and raw stay consistent under rotation/mirroring: label = (x + y) % 3 where raw = 10y + x,
        // so every output pixel's label follows from the raw value at the same place.
        let raw = b.raw.scalars
        for n in 0..<3 {
            for v in 0..<4 {
                for u in 0..<4 {
                    let value = Int(raw[n * 64 + (v + 2) * 8 + u + 2])
                    #expect(b.classes[n * 16 + v * 4 + u] == Int32((value % 10 + value / 10) % 3))
                }
            }
        }
        #expect(source.batch(2).raw.scalars == raw)
        #expect(source.batch(3).raw.scalars != raw)
    }

    /// Data-parallel training: process r of n takes patches r·B/n ..< (r+1)·B/n of the same batch,
    /// so the shares of all processes, in order, are the batch.
    @Test func sharesOfABatchAreItsPatchesInOrder() throws {
        let g = try PatchGeometry(input: 8, output: 4)
        let source = try PatchBatchSource(samples: [Self.sample], geometry: g, batchSize: 4, seed: 5)
        let whole = source.batch(7)
        let halves = (0..<2).map { whole.share($0, of: 2) }
        #expect(halves.map(\.raw.shape) == [[2, 1, 8, 8], [2, 1, 8, 8]])
        #expect(halves.map(\.labels.shape) == [[2, 4, 4], [2, 4, 4]])
        #expect(halves.flatMap(\.raw.scalars) == whole.raw.scalars)
        #expect(halves.flatMap(\.labels.scalars) == whole.labels.scalars)
        #expect(halves.flatMap(\.classes) == whole.classes)
        #expect(halves.allSatisfy { $0.index == 7 })
        let quarters = (0..<4).map { whole.share($0, of: 4) }
        #expect(quarters[2].raw.scalars == Array(whole.raw.scalars[128..<192]))
        #expect(quarters[3].classes == Array(whole.classes[48..<64]))
        #expect(whole.share(0, of: 1).raw.scalars == whole.raw.scalars)
    }

    @Test func prefetcherGivesTheSynchronousBatches() throws {
        let g = try PatchGeometry(input: 24, output: 16)
        let big = makeSample(width: 40, height: 32, raw: { x, y in Float((x * 7 + y * 3) % 17) / 17 }, label: { x, _ in x < 4 ? 1 : 0 })
        let prior = try PatchPrior(samples: [big], windowWidth: 16, windowHeight: 16, classCount: 2)
        let source = try PatchBatchSource(samples: [big], geometry: g, batchSize: 2, augmentation: .all, prior: prior, seed: 77)
        let prefetcher = BatchPrefetcher(capacity: 2, start: 3, workers: 2) { source.batch($0) }
        for k in 3..<11 {
            let b = try prefetcher.next()
            let expected = source.batch(k)
            #expect(b.index == k)
            #expect(b.raw.scalars == expected.raw.scalars)
            #expect(b.classes == expected.classes)
        }
        prefetcher.stop()
        var other = source
        other.seed = 78
        #expect(other.batch(3).raw.scalars != source.batch(3).raw.scalars)
    }

    @Test func prefetcherRethrowsInOrder() throws {
        struct Boom: Error {}
        let p = BatchPrefetcher<Int>(capacity: 3) { i in
            if i == 2 { throw Boom() }
            return i * i
        }
        #expect(try p.next() == 0)
        #expect(try p.next() == 1)
        #expect(throws: Boom.self) { try p.next() }
        #expect(try p.next() == 9)
    }

    /// With every augmentation on, patches keep their size, finite raw values and the label set
    /// (their rate: `pixelwise-benchmarks augmentation`).
    @Test func patchesWithAllAugmentationsKeepSizeAndLabels() throws {
        let sample = makeSample(width: 512, height: 512, raw: { x, y in Float((x * 13 + y * 7) % 255) / 127.5 - 1 },
                                label: { x, y in (x / 16 + y / 16) % 2 == 0 ? 1 : 0 })
        let source = try PatchBatchSource(samples: [sample], geometry: try PatchGeometry(input: 256, output: 256), batchSize: 1,
                                          augmentation: .all, seed: 1)
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<8 {
            let pair = source.patch(image: 0, x: Int(rng.next() % 257), y: Int(rng.next() % 257), using: &rng)
            #expect(pair.raw.count == 1 && pair.raw[0].values.count == 256 * 256 && pair.raw[0].values.allSatisfy(\.isFinite))
            #expect(pair.labels.values.count == 256 * 256 && pair.labels.values.allSatisfy { $0 == 0 || $0 == 1 })
        }
    }
}
