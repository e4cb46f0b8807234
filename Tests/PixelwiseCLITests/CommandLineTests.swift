import Foundation
import Testing
import PixelwiseTestSupport

/// What a user sees first: help, a command without arguments, an unknown command.
@Suite struct CommandLineTests {
    @Test func helpListsEverySubcommand() throws {
        let scratch = try ScratchFolder()
        let result = try CLI.run(["--help"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        for command in ["train", "segment", "evaluate", "bench", "models", "inspect", "average"] {
            #expect(result.stdout.contains("  \(command) "), "\(command) missing from help")
        }
    }

    @Test func trainWithoutArgumentsSaysWhatIsMissing() throws {
        let scratch = try ScratchFolder()
        let result = try CLI.run(["train"], in: scratch.path)
        #expect(result.status == 1)
        #expect(result.stderrLines == ["pixelwise: error: training needs --images and --labels (or images: and labels: in the configuration)"])
        #expect(try scratch.contents().isEmpty, "nothing written")
    }

    /// Usage errors keep the parser's hint but start like every other error.
    @Test func usageErrorsStartLikeOtherErrors() throws {
        let scratch = try ScratchFolder()
        let missing = try CLI.run(["segment", "image.png"], in: scratch.path)
        #expect(missing.status == 64)
        #expect(missing.stderrLines.first == "pixelwise: error: Missing expected argument '--model <model>'", "\(missing.transcript)")
        #expect(missing.stderr.contains("pixelwise segment --help"))
        let unknown = try CLI.run(["trian"], in: scratch.path)
        #expect(unknown.status == 64)
        #expect(unknown.stderrLines.first?.hasPrefix("pixelwise: error: ") == true, "\(unknown.transcript)")
    }

    @Test func modelsListNamesThePresets() throws {
        let scratch = try ScratchFolder()
        let result = try CLI.run(["models", "list"], in: scratch.path)
        #expect(result.status == 0)
        let names = result.stdout.split(separator: "\n").map { String($0.prefix { $0 != " " }) }
        #expect(names.contains("unet") && names.contains("tschopp-unet") && names.contains("usk-net"))
    }
}
