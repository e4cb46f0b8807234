import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct MergeTests {
    @Test(arguments: [([2, 3, 5, 7], [2, 17, 5, 7]), ([1, 5, 4, 6], [1, 2, 4, 6]), ([2, 3, 2, 3, 4], [2, 5, 2, 3, 4])],
          [Layout.rowMajor, .channelsLast])
    func concatenation(_ shapes: ([Int], [Int]), layout: Layout) throws {
        var data = TestData(seed: 101)
        let (sa, sb) = shapes
        let check = LayerCheck(inputs: [(sa, data.uniform(sa.reduce(1, *))), (sb, data.uniform(sb.reduce(1, *)))], layout: layout, seed: 102)
        let y = try check.run(Concatenation(), "concat \(sa) \(sb) \(layout)") { ins, _ in
            MergeReference.mergeCrop(ins[0], shape: sa, ins[1], shape: sb).values
        }
        #expect(y.shape[1] == sa[1] + sb[1])
    }

    @Test(arguments: [([2, 3, 4, 6], [2, 5, 8, 10]), ([1, 17, 3, 5], [1, 3, 7, 5]), ([1, 2, 2, 3, 2], [1, 3, 4, 5, 6])],
          [Layout.rowMajor, .channelsLast])
    func mergeCrop(_ shapes: ([Int], [Int]), layout: Layout) throws {
        var data = TestData(seed: 103)
        let (sa, sb) = shapes
        let check = LayerCheck(inputs: [(sa, data.uniform(sa.reduce(1, *))), (sb, data.uniform(sb.reduce(1, *)))], layout: layout,
                               samples: 48, seed: 104)
        try check.run(MergeCrop(), "merge crop \(sa) \(sb) \(layout)") { ins, _ in
            MergeReference.mergeCrop(ins[0], shape: sa, ins[1], shape: sb).values
        }
    }

    /// A 2×2 map merged with a 4×6 skip takes the skip's rows 1–2 and columns 2–3.
    @Test func mergeCropTakesTheCentre() throws {
        let a = tensor([1, 1, 2, 2], [0, 0, 0, 0])
        let b = tensor([1, 1, 4, 6], (0..<24).map(Float.init))
        let y = try MergeCrop().forward([a, b], mode: .inference)
        #expect(y.scalars == [0, 0, 0, 0, 8, 9, 14, 15])
        #expect(throws: PixelwiseError.self) { try MergeCrop().outputShape(for: [[1, 1, 2, 2], [1, 1, 5, 6]]) }
        #expect(throws: PixelwiseError.self) { try Concatenation().outputShape(for: [[1, 1, 2, 2], [1, 1, 4, 4]]) }
    }

    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func add(_ layout: Layout) throws {
        var data = TestData(seed: 105)
        let s = [2, 17, 3, 5]
        let check = LayerCheck(inputs: [(s, data.uniform(s.reduce(1, *))), (s, data.uniform(s.reduce(1, *)))], layout: layout, seed: 106)
        try check.run(Add(), "add \(layout)") { ins, _ in MergeReference.add(ins[0], ins[1]) }
    }

    /// Add's inputs in different layouts: the sum is still element-wise on logical positions.
    @Test func addMixedLayouts() throws {
        var data = TestData(seed: 107)
        let s = [1, 3, 4, 5]
        let a = data.uniform(60), b = data.uniform(60)
        let y = try Add().forward([tensor(s, a, .rowMajor), tensor(s, b, .channelsLast)], mode: .inference)
        expectClose(y.scalars, MergeReference.add(a.doubles, b.doubles), tolerance: 1e-6)
    }
}
