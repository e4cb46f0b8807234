import Testing
@testable import PixelwiseCore

@Suite struct TensorTests {
    @Test func layoutRoundTrip() {
        let t = Tensor.random([2, 3, 4, 5], seed: 7)
        let cl = t.inLayout(.channelsLast)
        #expect(cl.layout == .channelsLast)
        // element (n=1, c=2, h=3, w=4) sits at ((1*4+3)*5+4)*3+2 in NHWC memory
        let nhwcIndex = ((1 * 4 + 3) * 5 + 4) * 3 + 2
        let nchwIndex = ((1 * 3 + 2) * 4 + 3) * 5 + 4
        #expect(cl.storageScalars[nhwcIndex] == t.scalars[nchwIndex])
        #expect(cl.scalars == t.scalars)
        #expect(cl.inLayout(.rowMajor).storageScalars == t.storageScalars)
    }

    @Test func copyOnWrite() {
        let a = Tensor(repeating: 1, shape: [4])
        var b = a
        b.withUnsafeMutableBufferPointer { $0[0] = 5 }
        #expect(a.scalars == [1, 1, 1, 1])
        #expect(b.scalars == [5, 1, 1, 1])
    }
}
