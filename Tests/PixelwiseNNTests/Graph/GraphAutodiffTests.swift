import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore

@Suite struct GraphAutodiffTests {
    /// x → conv1 → sigmoid = a;  a → conv2 → sigmoid = b;  c = b + a;  d = concat(c, a);  y = conv3(d).
    /// `a` is read three times (two skips), so its gradient is the sum of three paths.
    static func makeGraph() throws -> Graph {
        let g = Graph(inputChannels: 2)
        let c1 = try g.add("conv1", Convolution(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: .same), g.input)
        let a = try g.add("act1", Sigmoid(), c1)
        let c2 = try g.add("conv2", Convolution(inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: .same), a)
        let b = try g.add("act2", Sigmoid(), c2)
        let c = try g.add("skip", Add(), b, a)
        let d = try g.add("concat", Concatenation(), c, a)
        try g.add("conv3", Convolution(inputChannels: 6, outputChannels: 2, kernelSize: 1), d)
        g.resetParameters(seed: 5)
        // Non-zero biases, so that their gradients are checked too.
        var data = TestData(seed: 6)
        for (name, p) in g.parameters where name.hasSuffix("bias") { p.value = tensor(p.shape.dims, data.uniform(p.shape.count)) }
        return g
    }

    /// Float32 central differences with ε = 1e-2 of L = Σ r·y through the whole graph.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func gradientsMatchFiniteDifferences(_ layout: Layout) throws {
        let g = try Self.makeGraph()
        var data = TestData(seed: 7)
        let shape = [2, 2, 6, 5]
        let x = data.uniform(shape.reduce(1, *))
        let y = try g.forward(tensor(shape, x, layout), mode: .training)
        #expect(y.shape == [2, 2, 6, 5])
        let r = data.uniform(y.count)
        g.zeroGradients()
        let dx = try g.backward(tensor(y.shape.dims, r, y.layout), needInputGradient: true)!.scalars

        let loss = { (input: [Float]) throws -> Double in dot(r, try g.forward(tensor(shape, input, layout)).scalars) }
        let eps: Float = 1e-2
        func numerical(_ perturb: (Float) throws -> Double) rethrows -> Double {
            (try perturb(eps) - (try perturb(-eps))) / Double(2 * eps)
        }
        let inputIndices = data.sample(20, of: x.count)
        let inputNumerical = try inputIndices.map { j in
            try numerical { e in var v = x; v[j] += e; return try loss(v) }
        }
        expectClose(inputIndices.map { dx[$0] }, inputNumerical, tolerance: 1e-2, "dL/dx")

        for (name, p) in g.parameters {
            let analytic = p.gradient!.scalars
            let start = p.value
            let indices = data.sample(8, of: p.shape.count)
            let values = try indices.map { j in
                try numerical { e in
                    var v = start.scalars
                    v[j] += e
                    p.value = tensor(p.shape.dims, v)
                    defer { p.value = start }
                    return try loss(x)
                }
            }
            expectClose(indices.map { analytic[$0] }, values, tolerance: 1e-2, "dL/d\(name)")
        }
    }

    /// A layer reading the same value for both inputs (y = a + a) passes 2·dL/dy back to it.
    @Test func sameValueTwiceInOneLayer() throws {
        let g = Graph(inputChannels: 3)
        let conv = try Convolution(inputChannels: 3, outputChannels: 3, kernelSize: 1, bias: false)
        let c = try g.add("conv", conv, g.input)
        try g.add("double", Add(), c, c)
        var data = TestData(seed: 8)
        conv.weight.value = tensor([3, 3, 1, 1], data.uniform(9))
        let x = tensor([1, 3, 2, 2], data.uniform(12))
        let y = try g.forward(x, mode: .training)
        let r = tensor([1, 3, 2, 2], data.uniform(12))
        let dx = try g.backward(r, needInputGradient: true)!
        // y = 2·W x, so dL/dx = 2·Wᵀ r.
        let w = conv.weight.value.scalars, rs = r.scalars
        var expected = [Float](repeating: 0, count: 12)
        for i in 0..<3 { for o in 0..<3 { for p in 0..<4 { expected[i * 4 + p] += 2 * w[o * 3 + i] * rs[o * 4 + p] } } }
        expectClose(dx.scalars, expected, tolerance: 1e-5)
        expectClose(y.scalars, (try conv.forward([x], mode: .inference)).scalars.map { 2 * $0 }, tolerance: 1e-6)
    }

    /// Gradients accumulate over backward calls until `zeroGradients` clears them.
    @Test func gradientsAccumulateAndClear() throws {
        let g = try Self.makeGraph()
        var data = TestData(seed: 9)
        let x = tensor([1, 2, 5, 5], data.uniform(50), .channelsLast)
        let y = try g.forward(x, mode: .training)
        let r = tensor(y.shape.dims, data.uniform(y.count))
        g.zeroGradients()
        try g.backward(r)
        let once = g.parameters.map { $0.parameter.gradient!.scalars }
        #expect(once.allSatisfy { $0.contains { $0 != 0 } })
        try g.backward(r)
        for (k, (name, p)) in g.parameters.enumerated() {
            expectClose(p.gradient!.scalars, once[k].map { 2 * $0 }, tolerance: 1e-6, "\(name) after two backward passes")
        }
        g.zeroGradients()
        #expect(g.parameters.allSatisfy { $0.parameter.gradient == nil })
        // After clearing, one more pass gives the single gradient again.
        try g.backward(r)
        for (k, (name, p)) in g.parameters.enumerated() { expectClose(p.gradient!.scalars, once[k], tolerance: 1e-6, name) }
    }

    @Test func inputGradientOnlyWhenAsked() throws {
        let g = try Self.makeGraph()
        let x = Tensor.random([1, 2, 4, 4], seed: 10)
        let y = try g.forward(x, mode: .training)
        #expect(try g.backward(Tensor(repeating: 1, shape: y.shape)) == nil)
        #expect(try g.backward(Tensor(repeating: 1, shape: y.shape), needInputGradient: true)?.shape == x.shape)
    }

    @Test func backwardNeedsTrainingForward() throws {
        let g = try Self.makeGraph()
        let y = try g.forward(Tensor.random([1, 2, 4, 4], seed: 11))
        #expect(throws: PixelwiseError.self) { try g.backward(Tensor(zeros: y.shape)) }
        _ = try g.forward(Tensor.random([1, 2, 4, 4], seed: 11), mode: .training)
        #expect(throws: PixelwiseError.self) { try g.backward(Tensor(zeros: [1, 2, 4, 5])) }
    }

    @Test func duplicateNamesAndUnknownInputsAreRejected() throws {
        let g = Graph(inputChannels: 1)
        try g.add("a", ReLU(), g.input)
        #expect(throws: PixelwiseError.self) { try g.add("a", ReLU(), g.input) }
        #expect(throws: PixelwiseError.self) { try g.add("b", ReLU(), Graph.Value(index: 5)) }
    }
}
