import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct LabelMapTests {
    static let ssTEMValues: [Float] = [0, 32, 64, 96, 128, 159, 191, 223, 255]

    /// 20 × 10 pixels; value k of the nine appears on (k + 1) · 4 pixels, 255 on the rest.
    static func ssTEMLike() -> Image {
        var pixels = [Float]()
        for (k, v) in ssTEMValues.dropLast().enumerated() { pixels += [Float](repeating: v, count: (k + 1) * 4) }
        pixels += [Float](repeating: 255, count: 200 - pixels.count)
        return Image(width: 20, height: 10, channels: 1, sampleType: .uint8, pixels: pixels)
    }

    @Test func ssTEMForegroundFraction() throws {
        let classes = try LabelMap.foreground([191, 255]).apply(to: Self.ssTEMLike())
        // 191 (k = 6) on 28 pixels; 255 on 200 − 4·(1+…+8) = 56 pixels.
        let foreground = classes.filter { $0 == 1 }.count
        #expect(foreground == 28 + 56)
        #expect(classes.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(Double(foreground) / 200 == 0.42)
    }

    @Test func identityGivesNineClassesAndRejectsUnknownValues() throws {
        let map = LabelMap.identity(values: Self.ssTEMValues)
        #expect(map.classCount == 9)
        let classes = try map.apply(to: Self.ssTEMLike())
        #expect(classes.filter { $0 == 7 }.count == 32)   // 223
        #expect(classes.filter { $0 == 8 }.count == 56)   // 255
        let bad = Image(width: 2, height: 1, channels: 1, pixels: [0, 17])
        #expect(throws: PixelwiseError.file(path: "l.png", problem: "label value 17 at pixel (1, 0) has no class in the label map")) {
            try map.apply(to: bad, name: "l.png")
        }
    }

    @Test func trimapWithIgnoredUnclassified() throws {
        let map = LabelMap(classes: [1: 1, 2: 0, 3: LabelMap.ignore], classCount: 2)
        let classes = try map.apply(to: Image(width: 3, height: 1, channels: 1, pixels: [1, 2, 3]))
        #expect(classes == [1, 0, -1])
        #expect(map.classCount == 2)
    }

    @Test func rawNormalisation() throws {
        let grey = Image(width: 3, height: 1, channels: 1, sampleType: .uint8, pixels: [0, 51, 255])
        #expect(zip(RawNormalisation().apply(to: grey).pixels, [-1, -0.6, 1]).allSatisfy { abs($0 - $1) < 1e-6 })
        let rgba = Image(width: 1, height: 1, channels: 4, sampleType: .uint16, pixels: [65535, 0, 65535, 7])
        let g = RawNormalisation(symmetric: false).apply(to: rgba)
        #expect(g.channels == 1 && abs(g.pixels[0] - 2.0 / 3) < 1e-6)
        let kept = RawNormalisation(channels: .asStored).apply(to: rgba)
        #expect(kept.channels == 3 && zip(kept.pixels, [1, -1, 1]).allSatisfy { abs($0 - $1) < 1e-6 })
        let replicated = RawNormalisation(symmetric: false, channels: .rgb).apply(to: grey)
        #expect(replicated.channels == 3 && abs(replicated.pixels[4] - 0.2) < 1e-6 && replicated.pixels[3] == replicated.pixels[5])
        #expect(throws: PixelwiseError.self) {
            try RawNormalisation().sample(raw: grey, rawName: "a.tif", labels: Image(width: 2, height: 1), labelName: "a.png",
                                          labelMap: .foreground([255]))
        }
    }

    @Test func classFrequenciesWeightsAndMasking() throws {
        let s = makeSample(width: 10, height: 10, label: { x, y in x < 2 && y < 5 ? 1 : (x == 9 ? -1 : 0) })
        let f = try ClassFrequencies(samples: [s], classCount: 2)
        #expect(f.counts == [80, 10])
        let c = f.frequencies, w = f.inverseFrequencyWeights
        #expect(abs(c[0] * Double(w[0]) + c[1] * Double(w[1]) - 1) < 1e-6)
        #expect(abs(w[1] / w[0] - 8) < 1e-5)
        #expect(f.maskKeepProbabilities == [0.125, 1])
        var rng = SeededGenerator(seed: 3)
        let mask = f.errorMask(for: s.labels, using: &rng)
        #expect(zip(s.labels, mask).allSatisfy { l, m in l == 1 ? m == 1 : (l == -1 ? m == 0 : true) })
        let kept = zip(s.labels, mask).filter { $0.0 == 0 && $0.1 == 1 }.count
        #expect(kept > 2 && kept < 25)      // ≈ 80 / 8 = 10
    }
}
