import PixelwiseNN

/// The U-Net's per-level blocks: a double convolution, or its residual form (ResU-Net).
extension UNet {
    func convolution(_ g: Graph, _ name: String, _ x: Graph.Value, level: Int, from: Int, to: Int, kernel: Int = 3) throws -> Graph.Value {
        try g.add(name, Convolution(Convolution.Configuration(inputChannels: from, outputChannels: to, kernelSize: self.kernel(kernel, level: level),
                                                              padding: kernel == 1 ? .valid : padding, bias: !batchNorm, initializer: initializer)), x)
    }

    /// conv → [bn] → relu → [dropout] → conv → [bn] → (+ shortcut if residual) → relu.
    ///
    /// Residual (He et al. 2016, as in ResU-Net): y = relu(F(x) + S(x)) with S the identity when
    /// the channel counts match and a 1×1 convolution (`<block>.shortcut`, + batch norm) otherwise.
    /// Shapes: (N, from, [D,] H, W) → (N, to, [D',] H', W'), H' = H (same) or H − 4 (valid).
    func block(_ g: Graph, _ name: String, _ input: Graph.Value, level: Int, from: Int, to: Int, dropoutAfterFirst: Bool) throws -> Graph.Value {
        var x = input
        for i in 1...2 {
            x = try convolution(g, "\(name).conv\(i)", x, level: level, from: i == 1 ? from : to, to: to)
            if batchNorm { x = try g.add("\(name).bn\(i)", BatchNormalization(channels: to), x) }
            if residual, i == 2 {
                var shortcut = input
                if from != to {
                    shortcut = try convolution(g, "\(name).shortcut", input, level: level, from: from, to: to, kernel: 1)
                    if batchNorm { shortcut = try g.add("\(name).shortcut.bn", BatchNormalization(channels: to), shortcut) }
                }
                x = try g.add("\(name).add", Add(), x, shortcut)
            }
            x = try g.add("\(name).relu\(i)", ReLU(), x)
            if i == 1, dropoutAfterFirst { x = try g.add("\(name).dropout", Dropout(probability: dropout), x) }
        }
        return x
    }
}
