import PixelwiseCore
import PixelwiseKernels

extension Graph {
    /// The convolution passes one training step runs on a batch of `inputShape`, as the algorithm
    /// chooser sees them: forward, backward data and backward weights of every convolution (a
    /// transposed convolution decides once, on its forward pass, for all three).
    public func trainingConvolutionProblems(inputShape: Shape) throws -> [ConvolutionProblem] {
        // Each problem once, in graph order.
        var seen = Set<ConvolutionProblem>()
        return try trainingConvolutionPasses(inputShape: inputShape).map(\.problem).filter { seen.insert($0).inserted }
    }

    /// `trainingConvolutionProblems` with the name of the node each pass belongs to (a problem
    /// appears once per node that runs it).
    public func trainingConvolutionPasses(inputShape: Shape) throws -> [(node: String, problem: ConvolutionProblem)] {
        let shapes = try shapes(for: inputShape)
        var problems: [(node: String, problem: ConvolutionProblem)] = []
        for node in nodes {
            let inShapes = node.inputs.map { $0 == Graph.inputIndex ? inputShape : shapes[$0] }
            guard case .convolution(let conv) = node.layer.fusionRole(for: inShapes) else { continue }
            let x = inShapes[0]
            let forward = ConvolutionProblem(stage: .training, pass: .forward, input: x, weight: conv.weight.value.shape,
                                             geometry: conv.geometry, transposed: conv.transposed, layout: .channelsLast)
            problems.append((node.name, forward))
            guard !conv.transposed else { continue }
            var data = forward, weights = forward
            data.pass = .backwardData
            data.input = forward.outputShape
            weights.pass = .backwardWeights
            problems.append(contentsOf: [(node.name, data), (node.name, weights)])
        }
        return problems
    }

    /// The algorithm table of a training run on batches of `inputShape` under `trainingOptions`:
    /// measured (or found in the per-machine cache) once, then recorded, so every process and every
    /// resume runs the same algorithms (`AlgorithmSelection.recorded`). With `processes`, process
    /// 0's choices are every process's.
    public func trainingAlgorithmTable(inputShape: Shape, processes: (any ProcessGroup)? = nil) throws -> AlgorithmTable {
        let problems = try trainingConvolutionProblems(inputShape: inputShape)
        var table = AlgorithmChooser.table(for: problems, options: trainingOptions)
        guard let processes, processes.size > 1 else { return table }
        let all = AlgorithmChooser.Algorithm.allCases
        let mine = problems.map { p in Float(processes.rank == 0 ? all.firstIndex(of: table.choices[p.description] ?? .direct)! : 0) }
        let agreed = try processes.sum(mine)
        for (p, index) in zip(problems, agreed) { table.choices[p.description] = all[min(all.count - 1, max(0, Int(index)))] }
        return table
    }
}
