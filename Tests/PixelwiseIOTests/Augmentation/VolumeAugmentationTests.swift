import Testing
import PixelwiseCore
@testable import PixelwiseIO

/// Every 3-D augmentation against its definition, with plain reference implementations.
@Suite struct VolumeAugmentationTests {
    static func grid(_ size: [Int], seed: UInt64) -> Grid<Float> {
        var rng = SeededGenerator(seed: seed)
        return Grid(size: size, values: (0..<size.reduce(1, *)).map { _ in rng.nextUniform() })
    }

    /// Unique ids as labels, and raw = the same ids: after any geometric change raw must still equal labels.
    static func idPatch(_ size: [Int]) -> VolumePatch {
        let ids = (0..<size.reduce(1, *)).map { Int32($0) }
        return VolumePatch(raw: [Grid(size: size, values: ids.map(Float.init))], labels: Grid(size: size, values: ids))
    }

    @Test func flipsFollowTheDefinitionAndTwiceAreTheIdentity() {
        let g = Self.grid([3, 4, 5], seed: 1)
        for axis in 0..<3 {
            let f = g.flipped(axis: axis)
            for z in 0..<3 { for y in 0..<4 { for x in 0..<5 {
                let source = [axis == 0 ? 2 - z : z, axis == 1 ? 3 - y : y, axis == 2 ? 4 - x : x]
                #expect(f[z, y, x] == g[source[0], source[1], source[2]])
            } } }
            #expect(f.flipped(axis: axis) == g)
        }
    }

    @Test func quarterTurnsFollowTheDefinitionAndFourAreTheIdentity() {
        let g = Self.grid([3, 4, 4], seed: 2)
        let one = g.rotatedInPlane(quarterTurns: 1)
        // Output (x', y') = input (W−1−y', x') in every slice.
        for z in 0..<3 { for y in 0..<4 { for x in 0..<4 { #expect(one[z, y, x] == g[z, x, 3 - y]) } } }
        #expect(one.rotatedInPlane(quarterTurns: 1).rotatedInPlane(quarterTurns: 1).rotatedInPlane(quarterTurns: 1) == g)
        #expect(g.rotatedInPlane(quarterTurns: 2) == g.flipped(axis: 1).flipped(axis: 2))
        let wide = Self.grid([2, 3, 5], seed: 3)
        #expect(wide.rotatedInPlane(quarterTurns: 1).size == [2, 5, 3])
        #expect(wide.rotatedInPlane(quarterTurns: 3).rotatedInPlane(quarterTurns: 1) == wide)
    }

    @Test func transposesFollowTheDefinition() {
        let g = Self.grid([2, 3, 4], seed: 4)
        for p in VolumeAugmentation.permutations {
            let t = g.transposed(p)
            #expect(t.size == p.map { g.size[$0] })
            for a in 0..<t.size[0] { for b in 0..<t.size[1] { for c in 0..<t.size[2] {
                var source = [0, 0, 0]
                source[p[0]] = a; source[p[1]] = b; source[p[2]] = c
                #expect(t[a, b, c] == g[source[0], source[1], source[2]])
            } } }
            let inverse = (0..<3).map { axis in p.firstIndex(of: axis)! }
            #expect(t.transposed(inverse) == g)
        }
    }

    @Test(arguments: [false, true]) func labelsMoveWithRawUnderEveryGeometricChange(isotropic: Bool) {
        let augmentation = VolumeAugmentation(rotate: true, flip: true, isotropic: isotropic)
        var outcomes = Set<[Float]>()
        for seed in 0..<64 as Range<UInt64> {
            var patch = Self.idPatch([4, 4, 4])
            var rng = SeededGenerator(seed: seed)
            augmentation.apply(to: &patch, using: &rng)
            #expect(patch.raw[0].values == patch.labels.values.map(Float.init))
            #expect(Set(patch.labels.values) == Set(0..<64))  // a permutation of the voxels
            outcomes.insert(patch.raw[0].values)
        }
        // Anisotropic: the 8 symmetries of the square section times the z flip = 16; isotropic: the 48 of the cube.
        #expect(isotropic ? outcomes.count > 16 && outcomes.count <= 48 : outcomes.count == 16)
        // Without 3-D turns, z stays z: every slice keeps or mirrors its own voxels.
        if !isotropic {
            var patch = Self.idPatch([4, 4, 4])
            var rng = SeededGenerator(seed: 7)
            augmentation.apply(to: &patch, using: &rng)
            for z in 0..<4 { #expect(Set(patch.labels.values[z * 16 ..< (z + 1) * 16].map { $0 / 16 }).count == 1) }
        }
    }

    @Test func nonSquareSectionsKeepTheirSize() {
        var patch = Self.idPatch([2, 3, 5])
        for seed in 0..<16 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed)
            VolumeAugmentation(rotate: true, flip: true, isotropic: true).apply(to: &patch, using: &rng)
            #expect(patch.size == [2, 3, 5] && patch.labels.size == [2, 3, 5])
        }
    }

    /// Reference nearest-voxel warp (mirrored), for the elastic test.
    static func referenceNearest(_ g: Grid<Int32>, _ f: DisplacementField) -> [Int32] {
        var out = [Int32]()
        for z in 0..<g.size[0] { for y in 0..<g.size[1] { for x in 0..<g.size[2] {
            let i = (z * g.size[1] + y) * g.size[2] + x
            let s = [Float(z) + f.dz[i], Float(y) + f.dy[i], Float(x) + f.dx[i]].enumerated().map { Mirror.reflect(Int($1.rounded()), g.size[$0]) }
            out.append(g[s[0], s[1], s[2]])
        } } }
        return out
    }

    @Test(arguments: [false, true]) func elasticMovesLabelsWithRaw(threeD: Bool) {
        let elastic = ElasticDeformation(alpha: 2, sigma: 4)
        let augmentation = VolumeAugmentation(rotate: false, flip: false, elastic: elastic, elastic3D: threeD, spacing: [2, 1, 1])
        let original = Self.idPatch([6, 8, 8])
        var patch = original
        var rng = SeededGenerator(seed: 11), copy = rng
        augmentation.apply(to: &patch, using: &rng)
        let field = threeD ? elastic.field(size: [6, 8, 8], spacing: [2, 1, 1], using: &copy) : elastic.inPlaneField(size: [6, 8, 8], using: &copy)
        #expect(patch.labels.values == Self.referenceNearest(original.labels, field))
        #expect(field.dz.contains { $0 != 0 } == threeD)
        if !threeD {  // one field for every section
            #expect(Array(field.dx[0..<64]) == Array(field.dx[64..<128]) && Array(field.dy[0..<64]) == Array(field.dy[320..<384]))
        }
        // The RMS displacement in in-plane units is alpha (z counted by its spacing).
        let rms = (zip(zip(field.dz, field.dy), field.dx).map { Double(($0.0 * 2) * ($0.0 * 2) + $0.1 * $0.1 + $1 * $1) }.reduce(0, +) / 384).squareRoot()
        #expect(abs(rms - 2) < 1e-3)
        // Raw by trilinear interpolation: with whole-voxel displacements it equals the nearest warp.
        let shift = DisplacementField(size: [6, 8, 8], dz: [Float](repeating: 1, count: 384), dy: [Float](repeating: -2, count: 384), dx: [Float](repeating: 0, count: 384))
        #expect(ElasticDeformation.warpTrilinear(original.raw[0], shift).values == Self.referenceNearest(original.labels, shift).map(Float.init))
        // Half a voxel along x: the mean of the two neighbours.
        let half = DisplacementField(size: [6, 8, 8], dz: [Float](repeating: 0, count: 384), dy: [Float](repeating: 0, count: 384), dx: [Float](repeating: 0.5, count: 384))
        #expect(ElasticDeformation.warpTrilinear(original.raw[0], half)[1, 2, 3] == (original.raw[0][1, 2, 3] + original.raw[0][1, 2, 4]) / 2)
    }

    @Test func intensityChangesRawOnlyAndIsSeeded() {
        let augmentation = VolumeAugmentation(rotate: false, flip: false, jitter: IntensityJitter(brightness: 0.2, contrast: 0.2, gamma: 0.2),
                                              normalisation: .standardise)
        var a = VolumePatch(raw: [Self.grid([3, 4, 4], seed: 5)], labels: Grid(size: [3, 4, 4], values: [Int32](repeating: 1, count: 48)))
        var b = a
        var r1 = SeededGenerator(seed: 9), r2 = SeededGenerator(seed: 9)
        augmentation.apply(to: &a, using: &r1)
        augmentation.apply(to: &b, using: &r2)
        #expect(a == b)
        #expect(a.labels.values == [Int32](repeating: 1, count: 48))
        let mean = a.raw[0].values.reduce(0, +) / 48
        #expect(abs(mean) < 1e-5)
    }
}
