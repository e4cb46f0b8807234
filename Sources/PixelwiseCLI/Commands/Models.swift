import ArgumentParser
import PixelwiseCore
import PixelwiseModels

/// `pixelwise models list|show`: the model zoo and its layer tables.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the model presets or show one network's layers.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the model presets.")
        func run() throws {
            for preset in ModelZoo.presets {
                print(preset.name.padding(toLength: 20, withPad: " ", startingAt: 0) + preset.summary)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one row per layer: name, type, output shape, parameters (Tschopp's Table 3.4 style).")
        @Argument(help: "A preset name (see `pixelwise models list`).")
        var name: String
        @Option(help: "Input side in pixels (a square, or a cube for 3-D networks).")
        var input: Int = 256
        @Option(help: "Base filter count, for presets that allow it.")
        var baseFilters: Int?
        @Option(help: "U-Net presets: normalisation batch, instance, group (gcd(32, C) groups), group:<groups> or none (default: the preset's).")
        var norm: String?

        func run() throws {
            var options = PresetOptions()
            options.baseFilters = baseFilters
            options.norm = try norm.map(UNet.Normalization.init(parsing:))
            let graph = try ModelZoo.preset(named: name).build(options)
            do {
                print(try LayerTable(graph: graph, inputSize: input).text)
            } catch let error as PixelwiseError {
                let sizes = validInputSizes(for: graph, near: input)
                let below = sizes.below.map(String.init).joined(separator: ", ")
                let above = sizes.above.map(String.init).joined(separator: ", ")
                let side = Array(repeating: String(input), count: graph.spatialRank).joined(separator: "×")
                throw PixelwiseError.invalidArgument("\(name) cannot take a \(side) input (\(error.description)); "
                    + "valid sizes nearby: \(below.isEmpty ? "none below" : below) below, \(above.isEmpty ? "none above" : above) above")
            }
        }
    }
}
