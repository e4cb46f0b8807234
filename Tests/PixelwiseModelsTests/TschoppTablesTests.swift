import Testing
@testable import PixelwiseModels
import PixelwiseKernels

/// Tschopp's Tables 3.3–3.5 and Eq. 3.6, with three input channels as in the tables.
@Suite struct TschoppTablesTests {
    static let tableOptions = PresetOptions(inputChannels: 3, classes: 2)

    /// (layer, w, f_out, k, d) rows to find in the table; the table's text has one line per row
    /// plus header, rule, data row and totals (printed: the report quotes it).
    static func check(_ table: LayerTable, _ expected: [(String, Int, Int, Int, Int)]) {
        let lines = table.text.split(separator: "\n")
        #expect(lines.count == table.rows.count + 4)
        #expect(lines[2].hasPrefix("data"))
        print(table.text + "\n")
        for (name, w, fOut, k, d) in expected {
            guard let row = table.rows.first(where: { $0.name == name }) else {
                Issue.record("no layer \(name)")
                continue
            }
            #expect(row.size == w, "\(name): w")
            #expect(row.outputChannels == fOut, "\(name): f_out")
            #expect(row.kernelSize == k, "\(name): k")
            #expect(row.kernelStride == d, "\(name): d")
        }
    }

    @Test func tschoppUNetMatchesTable34() throws {
        let g = try ModelZoo.preset(named: "tschopp-unet").makeGraph(Self.tableOptions)
        let t = try LayerTable(graph: g, inputSize: 572)
        #expect(t.outputSize == 388)
        #expect(try g.context(forInputSize: 572) == 184)
        // Table 3.4: conv1…conv22, pools, upconv (fixed nearest ×2), 1×1 conv, mergecrop, ip1.
        Self.check(t, [
            ("enc1.conv1", 570, 64, 3, 1), ("enc1.conv2", 568, 64, 3, 1), ("pool1", 284, 64, 2, 1),
            ("enc2.conv1", 282, 128, 3, 1), ("enc2.conv2", 280, 128, 3, 1), ("pool2", 140, 128, 2, 1),
            ("enc3.conv1", 138, 256, 3, 1), ("enc3.conv2", 136, 256, 3, 1), ("pool3", 68, 256, 2, 1),
            ("enc4.conv1", 66, 512, 3, 1), ("enc4.conv2", 64, 512, 3, 1), ("pool4", 32, 512, 2, 1),
            ("enc5.conv1", 30, 1024, 3, 1), ("enc5.conv2", 28, 1024, 3, 1),
            ("up4.resize", 56, 1024, 2, 1), ("up4", 56, 512, 1, 1), ("merge4", 56, 1024, 1, 1),
            ("dec4.conv1", 54, 512, 3, 1), ("dec4.conv2", 52, 512, 3, 1),
            ("up3.resize", 104, 512, 2, 1), ("up3", 104, 256, 1, 1), ("merge3", 104, 512, 1, 1),
            ("dec3.conv1", 102, 256, 3, 1), ("dec3.conv2", 100, 256, 3, 1),
            ("up2.resize", 200, 256, 2, 1), ("up2", 200, 128, 1, 1), ("merge2", 200, 256, 1, 1),
            ("dec2.conv1", 198, 128, 3, 1), ("dec2.conv2", 196, 128, 3, 1),
            ("up1.resize", 392, 128, 2, 1), ("up1", 392, 64, 1, 1), ("merge1", 392, 128, 1, 1),
            ("dec1.conv1", 390, 64, 3, 1), ("dec1.conv2", 388, 64, 3, 1), ("classifier", 388, 2, 1, 1),
        ])
        // Eq. 3.6 over Table 3.4 (the up-convolutions are fixed nearest-neighbour copies, no weights): ≈ 29·10⁶.
        #expect(t.convolutionWeights == 28_936_000)
        #expect(t.parameterCount == 28_936_000 + 64 * 2 + 128 * 2 + 256 * 2 + 512 * 2 + 1024 * 2 + 512 * 2 + 256 * 2 + 128 * 2 + 64 * 2 + 2
                + 512 + 256 + 128 + 64)
        #expect(t.text.contains("input 572 → output 388"))
    }

    @Test func skNetIsAlgorithm1OfTable32AndMatchesTable33() throws {
        let g = try ModelZoo.preset(named: "sk-net").makeGraph(Self.tableOptions)
        let t = try LayerTable(graph: g, inputSize: 229)
        #expect(t.outputSize == 128)
        Self.check(t, [
            ("conv1", 223, 48, 7, 1), ("pool1", 222, 48, 2, 1), ("conv2", 214, 128, 5, 2), ("pool2", 212, 128, 2, 2),
            ("conv3", 204, 192, 3, 4), ("pool3", 200, 192, 2, 4), ("ip1", 128, 1024, 10, 8), ("ip2", 128, 512, 1, 1),
            ("ip3", 128, 2, 1, 1),
        ])
        #expect(t.rows.allSatisfy { $0.stride == 1 })
        #expect(t.convolutionWeights == 20_567_952)  // ≈ 20.5·10⁶
        #expect(t.rows.first { $0.name == "ip1" }!.convolutionWeights == 19_660_800)  // ≈ 19.6·10⁶ in ip1
        // Any input ≥ 102 works; the output is input − 102 + 1.
        #expect(try g.outputSize(for: 102) == 1)
        #expect(try g.outputSize(for: 300) == 199)
        #expect(!g.isValidInputSize(101))
        // The SW network it came from: Table 3.2's w column.
        let sw = SlidingWindowNetwork.tschopp(corrected: true)
        #expect(try sw.featureSizes() == [96, 96, 48, 44, 44, 22, 20, 20, 10, 1, 1, 1, 1, 1])
        #expect(try SlidingWindowNetwork.tschopp(corrected: false).featureSizes() == [94, 94, 47, 43, 43, 22, 20, 20, 10, 1, 1, 1, 1, 1])
        let swGraph = try sw.makeGraph()
        #expect(try swGraph.outputSize(for: 102) == 1)
        #expect(swGraph.parameterCount == g.parameterCount)
    }

    @Test func uskNetMatchesTable35() throws {
        let g = try ModelZoo.preset(named: "usk-net").makeGraph(Self.tableOptions)
        let t = try LayerTable(graph: g, inputSize: 692)
        #expect(t.outputSize == 512)
        Self.check(t, [
            ("conv1", 690, 64, 3, 1), ("conv2", 688, 64, 3, 1), ("pool1", 344, 64, 2, 1),
            ("conv3", 339, 128, 6, 1), ("pool2", 338, 128, 2, 1), ("conv4", 332, 128, 4, 2), ("pool3", 330, 128, 2, 2),
            ("conv5", 318, 128, 4, 4), ("pool4", 314, 128, 2, 4), ("ip1", 258, 512, 8, 8), ("ip2", 258, 256, 1, 1),
            ("upconv1", 516, 256, 2, 1), ("conv6", 516, 128, 1, 1), ("mergecrop1", 516, 192, 1, 1),
            ("conv7", 514, 128, 3, 1), ("conv8", 512, 64, 3, 1), ("ip3", 512, 2, 1, 1),
        ])
        #expect(t.convolutionWeights == 5_510_976)  // ≈ 5.5·10⁶
        #expect(t.rows.first { $0.name == "ip1" }!.convolutionWeights == 4_194_304)  // ≈ 4.2·10⁶
        // σ = 0.01 for the SK part, He (σ = √(2 / (3·9)) ≈ 0.27) for the U part.
        func sd(_ path: String) -> Double {
            let v = g.parameters.first { $0.name == path }!.parameter.value.scalars.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        }
        #expect(abs(sd("conv3.weight") - 0.01) < 0.001)
        #expect(abs(sd("ip1.weight") - 0.01) < 0.001)
        #expect(abs(sd("conv1.weight") - (2.0 / 27).squareRoot()) < 0.05)
        #expect(abs(sd("conv7.weight") - (2.0 / (192 * 9)).squareRoot()) < 0.002)
    }
}
