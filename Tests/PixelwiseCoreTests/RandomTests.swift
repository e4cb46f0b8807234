import Testing
@testable import PixelwiseCore

@Suite struct RandomTests {
    @Test func seededGeneratorIsReproducible() {
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42), g3 = SeededGenerator(seed: 43)
        let a = (0..<5).map { _ in g1.next() }, b = (0..<5).map { _ in g2.next() }
        #expect(a == b)
        #expect(a != (0..<5).map { _ in g3.next() })
        var g = SeededGenerator(seed: 1)
        let normals = (0..<20000).map { _ in g.nextNormal() }
        let mean = normals.reduce(0, +) / Float(normals.count)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(normals.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }
}
