import Foundation
import PixelwiseIO
import PixelwiseKernels
import PixelwiseTestSupport
import Testing
import PixelwiseWorkflow

/// The example in docs/library.md, compiled and run: the code between the markers below is the
/// documented code, and a test checks that the document shows exactly it.
@Suite struct DocumentedExampleTests {
    /// Runs the documented example in a scratch folder holding data/images and data/labels.
    @Test func theExampleTrainsAndSegments() throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 2)
        Threads.set(1)
        try scratch.inside {
            // docs/library.md: begin
            var recipe = Recipe()
            recipe.images = "data/images"
            recipe.labels = "data/labels"
            recipe.baseFilters = 4           // a small U-Net
            recipe.patch = 64
            recipe.iterations = 10           // a demonstration; real runs take thousands
            recipe.out = "run"

            let session = try TrainingSession(recipe: recipe)
            session.onEvent = { event in if case .started(let start) = event { print(start) } }
            try session.run()                // writes run/model.h5, last.h5, log.csv, report.html

            let segmenter = try Segmenter(model: "run/model.h5")
            try segmenter.segment(inputs: ["data/images"], into: "segmented")
            // docs/library.md: end
        }
        for k in 0..<2 {
            let result = try Image(contentsOf: scratch.file("segmented/img-\(k).png"))
            #expect(result.width == 96 && result.height == 80 && Set(result.pixels).isSubset(of: [0, 255]))
        }
        #expect(try ModelFile.read(from: scratch.file("run/last.h5")).optimizerStep == 10)
    }

    /// The swift block of docs/library.md that follows "<!-- example: DocumentedExampleTests -->"
    /// equals the marked region above (indentation aside).
    @Test func theDocumentShowsTheTestedCode() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/library.md")
        let document = try String(contentsOf: docs, encoding: .utf8)
        let tested = Self.region(of: source, from: "// docs/library.md: begin", to: "// docs/library.md: end")
        let shown = Self.region(of: document, from: "<!-- example: DocumentedExampleTests -->\n```swift", to: "```")
        #expect(!tested.isEmpty)
        #expect(shown == tested, "docs/library.md shows:\n\(shown.joined(separator: "\n"))\nthe test runs:\n\(tested.joined(separator: "\n"))")
    }

    /// The lines strictly between the first line containing `start` (its last line, if it spans
    /// several) and the next line containing `end`, with their common indentation removed.
    static func region(of text: String, from start: String, to end: String) -> [String] {
        guard let opening = text.range(of: start) else { return [] }
        let after = text[opening.upperBound...].drop { $0 != "\n" }.dropFirst()
        let lines = after.components(separatedBy: "\n").prefix { !$0.contains(end) }
        let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }
    }
}
