import Foundation
import Testing
import PixelwiseCore
import PixelwiseNN
import PixelwiseIO
import PixelwiseTestSupport

/// `pixelwise average`: writes the weighted average of model files (values checked), says what
/// it averaged, and refuses other networks and bad weights in one line without writing anything.
@Suite struct AverageCommandTests {
    static func write(_ path: String, channels: Int = 3, seed: UInt64) throws -> ModelFile {
        let g = Graph(inputChannels: 1, spatialRank: 2)
        let x = try g.add("enc1.conv1", Convolution(Convolution.Configuration(inputChannels: 1, outputChannels: channels, kernelSize: [3, 3], padding: .same)), g.input)
        try g.add("classifier", Convolution(Convolution.Configuration(inputChannels: channels, outputChannels: 2, kernelSize: [1, 1])), x)
        g.resetParameters(seed: seed)
        g.metadata = ["model": "tiny", "seed": String(seed)]
        let file = try ModelFile(graph: g)
        try file.write(to: path)
        return file
    }

    @Test func averagesAndRecordsItsInputs() throws {
        let scratch = try ScratchFolder()
        let a = try Self.write(scratch.file("a.h5"), seed: 1), b = try Self.write(scratch.file("b.h5"), seed: 2)
        let result = try CLI.run(["average", "a.h5", "b.h5", "--weights", "0.4", "0.6", "--out", "ab.h5"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let count = a.parameters.reduce(0) { $0 + $1.value.count }
        #expect(result.stdout == "ab.h5: 0.4 × a.h5 + 0.6 × b.h5 (\(count) parameters, 0 buffers)\n", "\(result.transcript)")
        let averaged = try ModelFile.read(from: scratch.file("ab.h5"))
        #expect(averaged.parameters.count == a.parameters.count)
        for ((name, va), (_, vb)) in zip(a.parameters, b.parameters) {
            let vz = averaged.parameters.first { $0.name == name }?.value
            let expected: [Float] = zip(va.scalars, vb.scalars).map { x, y in Float(0.4 * Double(x) + 0.6 * Double(y)) }
            #expect(vz?.scalars == expected, "\(name)")
        }
        let inspect = try CLI.run(["inspect", "ab.h5"], in: scratch.path)
        #expect(inspect.stdout.contains(", weights averaged: 0.4 × a.h5 + 0.6 × b.h5, checksums verified"), "\(inspect.transcript)")

        // Equal weights by default.
        let equal = try CLI.run(["average", "a.h5", "b.h5", "--out", "eq.h5"], in: scratch.path)
        #expect(equal.stdout.hasPrefix("eq.h5: 0.5 × a.h5 + 0.5 × b.h5 ("), "\(equal.transcript)")
    }

    @Test func badInputIsOneLineAndWritesNothing() throws {
        let scratch = try ScratchFolder()
        _ = try Self.write(scratch.file("a.h5"), seed: 1)
        _ = try Self.write(scratch.file("wide.h5"), channels: 5, seed: 2)
        let cases: [([String], Int32, String)] = [
            (["average", "a.h5", "wide.h5", "--out", "x.h5"], 1,
             "pixelwise: error: wide.h5: not the network of a.h5 (layer enc1.conv1 is configured differently); only models of one network and one data convention can be averaged"),
            (["average", "a.h5", "a.h5", "--weights", "0.7", "0.7", "--out", "x.h5"], 1, "pixelwise: error: weights must sum to 1, they sum to 1.4"),
            (["average", "a.h5", "missing.h5", "--out", "x.h5"], 1, "pixelwise: error: missing.h5: no such file"),
        ]
        for (arguments, status, line) in cases {
            let result = try CLI.run(arguments, in: scratch.path)
            #expect(result.status == status, "\(result.transcript)")
            #expect(result.stderrLines == [line], "\(result.transcript)")
        }
        let usage = try CLI.run(["average", "a.h5", "--out", "x.h5"], in: scratch.path)
        #expect(usage.status == 64 && usage.stderrLines.first == "pixelwise: error: give at least two model files to average", "\(usage.transcript)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("x.h5")))
    }
}
