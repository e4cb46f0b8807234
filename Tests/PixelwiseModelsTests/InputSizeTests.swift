import Testing
@testable import PixelwiseModels
import PixelwiseCore

@Suite struct InputSizeTests {
    @Test func validUNetSizesAreSixteenKPlus124() throws {
        let g = try ModelZoo.preset(named: "tschopp-unet").makeGraph(PresetOptions(baseFilters: 2))
        #expect(g.isValidInputSize(572))
        #expect(!g.isValidInputSize(570))
        // Valid-padding depth-4 U-Net: n = 16k + 124 (572 = 16·28 + 124).
        let near = validInputSizes(for: g, near: 570)
        #expect(near.below == [556, 540])
        #expect(near.above == [572, 588])
        do {
            _ = try g.shapes(forInputSize: 570)
            Issue.record("570 accepted")
        } catch let e as PixelwiseError {
            // 570 → 568 → 566 → 283 → 281 → 279: the root cause, named.
            #expect(e.description == "pool2: pooling input 279 is not divisible by its kernel 2 and stride 2")
        }
    }

    @Test func sameUNetNeedsMultiplesOfSixteen() throws {
        let g = try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 2))
        let near = validInputSizes(for: g, near: 100, count: 3)
        #expect(near.below == [96, 80, 64])
        #expect(near.above == [112, 128, 144])
        #expect(try g.outputSize(for: 96) == 96)
        #expect(try g.context(forInputSize: 96) == 0)
    }

    @Test func uskNetTakesEvenSizesFrom182() throws {
        let g = try ModelZoo.preset(named: "usk-net").makeGraph(PresetOptions(baseFilters: 1))
        #expect(try g.outputSize(for: 692) == 512)
        #expect(try g.context(forInputSize: 692) == 180)
        #expect(validInputSizes(for: g, near: 691).below == [690, 688])
        #expect(validInputSizes(for: g, near: 100).above == [182, 184])
        #expect(validInputSizes(for: g, near: 183, count: 5).below == [182])
    }

    @Test func unknownPresetListsKnownNames() {
        do {
            _ = try ModelZoo.preset(named: "vnet")
            Issue.record("vnet accepted")
        } catch {
            #expect("\(error)".contains("unknown model vnet"))
            #expect("\(error)".contains("tschopp-unet, sw-net, sk-net, usk-net"))
        }
        #expect(ModelZoo.presets.count == 12)
        #expect(Set(ModelZoo.presets.map(\.name)).count == 12)
    }
}
