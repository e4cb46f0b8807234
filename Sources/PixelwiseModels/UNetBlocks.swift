import PixelwiseNN

/// The U-Net's per-level blocks: a double convolution, or its residual form (ResU-Net).
extension UNet {
    func convolution(_ g: Graph, _ name: String, _ x: Graph.Value, level: Int, from: Int, to: Int, kernel: Int = 3) throws -> Graph.Value {
        try g.add(name, Convolution(Convolution.Configuration(inputChannels: from, outputChannels: to, kernelSize: self.kernel(kernel, level: level),
                                                              padding: kernel == 1 ? .valid : padding, bias: norm != .batch && norm != .instance, initializer: initializer)), x)
    }

    /// The normalisation layer after a convolution of `channels` outputs, named `<block>.bn<i>` for
    /// batch norm (the names model files have always used) and `<block>.norm<i>` otherwise; `suffix`
    /// is `1`, `2` or (shortcut) empty.
    func normalize(_ g: Graph, _ block: String, _ suffix: String, _ x: Graph.Value, channels: Int) throws -> Graph.Value {
        switch norm {
        case .none: return x
        case .batch: return try g.add(suffix.isEmpty ? "\(block).bn" : "\(block).bn\(suffix)", BatchNormalization(channels: channels), x)
        case .instance: return try g.add("\(block).norm\(suffix)", InstanceNormalization(channels: channels), x)
        case .group: return try g.add("\(block).norm\(suffix)", GroupNormalization(groups: norm.groups(channels: channels), channels: channels), x)
        }
    }

    /// conv → [norm] → relu → [dropout] → conv → [norm] → (+ shortcut if residual) → relu.
    ///
    /// Residual (He et al. 2016, as in ResU-Net): y = relu(F(x) + S(x)) with S the identity when
    /// the channel counts match and a 1×1 convolution (`<block>.shortcut`, + its norm) otherwise.
    /// Shapes: (N, from, [D,] H, W) → (N, to, [D',] H', W'), H' = H (same) or H − 4 (valid).
    func block(_ g: Graph, _ name: String, _ input: Graph.Value, level: Int, from: Int, to: Int, dropoutAfterFirst: Bool) throws -> Graph.Value {
        var x = input
        for i in 1...2 {
            x = try convolution(g, "\(name).conv\(i)", x, level: level, from: i == 1 ? from : to, to: to)
            x = try normalize(g, name, "\(i)", x, channels: to)
            if residual, i == 2 {
                var shortcut = input
                if from != to {
                    shortcut = try convolution(g, "\(name).shortcut", input, level: level, from: from, to: to, kernel: 1)
                    shortcut = try normalize(g, "\(name).shortcut", "", shortcut, channels: to)
                }
                x = try g.add("\(name).add", Add(), x, shortcut)
            }
            x = try g.add("\(name).relu\(i)", ReLU(), x)
            if i == 1, dropoutAfterFirst { x = try g.add("\(name).dropout", Dropout(probability: dropout), x) }
        }
        return x
    }
}
