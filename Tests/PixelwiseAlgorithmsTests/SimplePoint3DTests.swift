import Testing
@testable import PixelwiseAlgorithms

/// 3-D simple points and the 3-D warping error, on neighbourhoods and volumes worked out by hand.
@Suite struct SimplePoint3DTests {
    /// The neighbourhood mask with foreground at the given offsets.
    static func neighbourhood(_ foreground: [(Int, Int, Int)]) -> UInt32 {
        foreground.reduce(0) { mask, o in
            mask | 1 << UInt32(SimplePoint3D.offsets.firstIndex { $0.dx == o.0 && $0.dy == o.1 && $0.dz == o.2 }!)
        }
    }

    @Test func simplePointsByHand() {
        #expect(SimplePoint3D.offsets.count == 26)
        // Alone: flipping it creates or deletes a component.
        #expect(!SimplePoint3D.isSimple(0))
        // One face neighbour: p extends (or shortens) an object.
        #expect(SimplePoint3D.isSimple(Self.neighbourhood([(1, 0, 0)])))
        // Only an edge or corner neighbour: not 6-adjacent, so p would be a new component.
        #expect(!SimplePoint3D.isSimple(Self.neighbourhood([(1, 1, 0)])))
        #expect(!SimplePoint3D.isSimple(Self.neighbourhood([(1, 1, 1)])))
        // Between two face neighbours on a line: p joins (or splits) two objects.
        #expect(!SimplePoint3D.isSimple(Self.neighbourhood([(-1, 0, 0), (1, 0, 0)])))
        // The same two joined through an edge-neighbour path above: one component, simple.
        #expect(SimplePoint3D.isSimple(Self.neighbourhood([(-1, 0, 0), (-1, 0, 1), (0, 0, 1), (1, 0, 1), (1, 0, 0)])))
        // Centre of a full 3×3×3 block: removing it makes a cavity.
        #expect(!SimplePoint3D.isSimple((1 << 26) - 1))
        // Centre of a one-voxel-thick ring in the x–y plane: filling it closes a tunnel
        // (the background above and below are two 26-components of N26*).
        let ring = [(-1, -1, 0), (0, -1, 0), (1, -1, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (-1, 1, 0), (-1, 0, 0)]
        #expect(!SimplePoint3D.isSimple(Self.neighbourhood(ring)))
        // A face of a full slab below p (z = −1, all 9): p sits on the surface; simple.
        let slab = (-1...1).flatMap { y in (-1...1).map { x in (x, y, -1) } }
        #expect(SimplePoint3D.isSimple(Self.neighbourhood(slab)))
    }

    /// Volume 3 × 1 × 2 (x, y, z): truth z0 = [1 0 1], z1 = [1 1 1] (one object, joined in z1);
    /// prediction z0 = [1 0 1], z1 = [1 0 1] (two objects). The voxel (1, 0, 1) cannot leave the
    /// truth without splitting it: one error in 6 voxels. A prediction that only grows the object
    /// by a voxel above is warped onto exactly.
    @Test func warpingInThreeDimensions() {
        let truth = [true, false, true, true, true, true]
        let split: [Float] = [1, 0, 1, 1, 0, 1]
        let w = warpingError(prediction: split, groundTruth: truth, width: 3, height: 1, depth: 2)
        #expect(w.errorCount == 1 && abs(w.error - 1.0 / 6) < 1e-12)
        #expect(w.warpedLabels == truth)
        let grown: [Float] = [1, 1, 1, 1, 1, 1]
        let g = warpingError(prediction: grown, groundTruth: truth, width: 3, height: 1, depth: 2)
        #expect(g.errorCount == 0 && g.flips == 1)
        // In SegmentationEvaluation the volume's warping is the 3-D one.
        let e = SegmentationEvaluation(prediction: split.map { $0 > 0.5 }, groundTruth: truth, width: 3, height: 1, depth: 2, includeWarping: true)
        #expect(e.warping?.errorCount == 1)
    }
}
