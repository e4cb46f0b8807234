import Foundation
import Testing
import PixelwiseTestSupport

/// `pixelwise bench`: as many timed runs as asked for after the asked-for warm-up, in the JSON that
/// `bench/compare-pytorch` reads; a warm-up of 0 is a usage error.
@Suite struct BenchCommandTests {
    @Test(arguments: [false, true])
    func timesTheRepetitionsAfterTheWarmUp(train: Bool) throws {
        let scratch = try ScratchFolder()
        let result = try CLI.run(["bench", "--model", "unet", "--base-filters", "4", "--input", "32", "--repetitions", "3", "--warmup", "2",
                                  "--threads", "1", "--json"] + (train ? ["--train"] : []), in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let times = try #require(json["seconds_all"] as? [Double])
        #expect(times.count == 3 && times.allSatisfy { $0 > 0 }, "\(times)")
        #expect(json["mode"] as? String == (train ? "train" : "inference"))
    }

    @Test func warmUpMustBePositive() throws {
        let scratch = try ScratchFolder()
        let result = try CLI.run(["bench", "--model", "unet", "--warmup", "0"], in: scratch.path)
        #expect(result.status == 64)
        #expect(result.stderrLines.first == "pixelwise: error: --input, --batch, --slices, --repetitions and --warmup must be positive", "\(result.transcript)")
    }
}
