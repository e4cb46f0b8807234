import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore

/// A small same-padding U-Net (two poolings, 8 base filters, batch norm) must overfit one 64×64
/// crop of ISBI 2012 slice train-00 (see Fixtures/README.md for the data and its citations):
/// ≥ 95 % of the pixels right after a fixed number of Adam steps. The crop is 77 % cell interior,
/// so the bar is well above predicting one class everywhere; the thin membranes must be found.
@Suite struct ISBIOverfitTests {
    /// Reads a binary 8-bit PGM (`P5`) as (width, height, pixels).
    static func readPGM(_ url: URL) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        var fields: [String] = [], current = "", offset = 0
        while fields.count < 4 && offset < bytes.count {
            let c = bytes[offset]
            offset += 1
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                if !current.isEmpty { fields.append(current); current = "" }
            } else {
                current.append(Character(UnicodeScalar(c)))
            }
        }
        guard fields.count == 4, fields[0] == "P5", let w = Int(fields[1]), let h = Int(fields[2]), fields[3] == "255",
              bytes.count - offset == w * h else {
            throw PixelwiseError.file(path: url.path, problem: "not an 8-bit binary PGM")
        }
        return (w, h, Array(bytes[offset...]))
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// conv 3×3 + batch norm + ReLU, twice.
    static func block(_ g: Graph, _ name: String, _ input: Graph.Value, _ cin: Int, _ cout: Int) throws -> Graph.Value {
        var v = input
        for (k, c) in [(1, cin), (2, cout)] {
            v = try g.add("\(name).conv\(k)", Convolution(inputChannels: c, outputChannels: cout, kernelSize: 3, padding: .same), v)
            v = try g.add("\(name).bn\(k)", BatchNormalization(channels: cout), v)
            v = try g.add("\(name).relu\(k)", ReLU(), v)
        }
        return v
    }

    static func makeUNet(base f: Int) throws -> Graph {
        let g = Graph(inputChannels: 1)
        let e1 = try block(g, "enc1", g.input, 1, f)
        let e2 = try block(g, "enc2", try g.add("pool1", MaxPooling(kernelSize: 2), e1), f, 2 * f)
        let b = try block(g, "bottom", try g.add("pool2", MaxPooling(kernelSize: 2), e2), 2 * f, 4 * f)
        let u2 = try g.add("up2", TransposedConvolution(inputChannels: 4 * f, outputChannels: 2 * f, kernelSize: 2, stride: 2), b)
        let d2 = try block(g, "dec2", try g.add("merge2", Concatenation(), u2, e2), 4 * f, 2 * f)
        let u1 = try g.add("up1", TransposedConvolution(inputChannels: 2 * f, outputChannels: f, kernelSize: 2, stride: 2), d2)
        let d1 = try block(g, "dec1", try g.add("merge1", Concatenation(), u1, e1), 2 * f, f)
        try g.add("classifier", Convolution(inputChannels: f, outputChannels: 2, kernelSize: 1), d1)
        return g
    }

    @Test func smallUNetOverfitsOneCrop() throws {
        let image = try Self.readPGM(Self.fixtures.appendingPathComponent("isbi2012-train-00-crop.pgm"))
        let labels = try Self.readPGM(Self.fixtures.appendingPathComponent("isbi2012-train-00-crop-labels.pgm"))
        #expect(image.width == 64 && image.height == 64 && labels.pixels.count == 64 * 64)
        let values = image.pixels.map { Float($0) / 255 }
        let mean = values.reduce(0, +) / Float(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        let input = tensor([1, 1, 64, 64], values.map { ($0 - mean) / sd }, .channelsLast)
        let classes = labels.pixels.map { Int32($0 > 127 ? 1 : 0) }
        let foreground = Double(classes.filter { $0 == 1 }.count) / Double(classes.count)
        #expect(foreground > 0.7 && foreground < 0.85)

        let net = try Self.makeUNet(base: 8)
        net.resetParameters(seed: 2012)
        var optimizer = Adam(learningRate: 0.01)
        let loss = SoftmaxCrossEntropy()
        var first = 0.0, last = 0.0
        for step in 0..<150 {
            net.zeroGradients()
            let out = try net.forward(input, mode: .training)
            let (value, gradient) = try loss.evaluate(out, Target(labels: classes))
            if step == 0 { first = Double(value) }
            last = Double(value)
            try net.backward(gradient)
            optimizer.update(net.parameters)
        }
        let out = try net.forward(input, mode: .inference).scalars
        let pixels = 64 * 64
        let correct = (0..<pixels).filter { p in (out[pixels + p] > out[p] ? 1 : 0) == classes[p] }.count
        let accuracy = Double(correct) / Double(pixels)
        #expect(accuracy >= 0.95, "pixel accuracy \(accuracy), loss \(first) → \(last)")
        #expect(last < first / 4, "loss \(first) → \(last)")
    }
}
