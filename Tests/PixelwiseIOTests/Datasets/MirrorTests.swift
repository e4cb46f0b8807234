import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct MirrorTests {
    @Test func reflectsWithoutRepeatingTheEdge() {
        // numpy.pad(range(5), 3, mode="reflect") = 3 2 1 | 0 1 2 3 4 | 3 2 1
        #expect((-3...7).map { Mirror.reflect($0, 5) } == [3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
        // Context larger than the axis: repeated reflection, period 2(n − 1).
        #expect((-5...7).map { Mirror.reflect($0, 3) } == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1])
        #expect((-4...4).map { Mirror.reflect($0, 1) } == [Int](repeating: 0, count: 9))
    }

    @Test func mirroredBorderEqualsReflectedSourcePixels() {
        let s = makeSample(width: 4, height: 3, label: { x, y in Int32(x + 4 * y) })   // raw = 10y + x
        let crop = s.mirroredRaw(channel: 0, x0: -2, y0: -1, width: 8, height: 5)
        #expect(crop[0, 0] == 12)          // (−2, −1) → (2, 1)
        #expect(crop[2, 1] == 0)           // (0, 0) itself
        #expect(crop[7, 4] == 11)          // (5, 3) → (1, 1)
        #expect(crop[5, 3] == 23)          // (3, 2), the last real pixel
        #expect(crop[6, 0] == 12)          // (4, −1) → (2, 1)
        let labels = s.mirroredLabels(x0: -2, y0: -1, width: 8, height: 5)
        #expect(labels[7, 4] == 5 && labels[0, 0] == 6)
        // Channels of an interleaved RGB image are read separately.
        let rgb = Sample(raw: Image(width: 2, height: 1, channels: 3, sampleType: .float32, pixels: [1, 2, 3, 4, 5, 6]),
                         labels: [0, 0], name: "rgb")
        #expect(rgb.mirroredRaw(channel: 2, x0: -1, y0: 0, width: 3, height: 1).values == [6, 3, 6])
    }

    @Test func geometryRejectsOddContext() throws {
        let g = try PatchGeometry(input: 572, output: 388)
        #expect(g.contextX == 92 && g.contextY == 92)
        #expect(throws: PixelwiseError.self) { try PatchGeometry(input: 100, output: 51) }
        #expect(throws: PixelwiseError.self) { try PatchGeometry(input: 10, output: 12) }
    }
}
