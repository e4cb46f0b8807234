import Foundation
import Yams
import PixelwiseCore

/// Everything `pixelwise train` can be told, from a YAML file and/or flags (flags win).
/// Keys are the flag names with `_` for `-`; an unknown key is an error, so a typo never
/// silently falls back to a default.
struct TrainingConfiguration: Codable, Equatable {
    var images: String?
    var labels: String?
    var validateImages: String?
    var validateLabels: String?
    var model: String?
    var baseFilters: Int?
    var foreground: [Float]?
    var iterations: Int?
    var minutes: Double?
    var out: String?
    var loss: String?
    var optimizer: String?
    var lr: Float?
    var batch: Int?
    var patch: Int?
    var seed: UInt64?
    var threads: Int?
    var schedule: String?
    var warmup: Int?
    var weightDecay: Float?
    var validateEvery: Int?
    var checkpointEvery: Int?
    var classWeights: String?
    var errorMasking: Bool?
    var patchPrior: Bool?
    var elastic: Bool?
    var blur: Bool?
    var clahe: Bool?
    var jitter: Bool?
    /// With `loss: first,second`: the iteration at which the second loss takes over.
    var switchAt: Int?
    /// Convolution arithmetic in training: fp32 (default) or bf16 mixed precision.
    var precision: String?
    /// Forward and backward-data passes of wide 3×3 convolutions by Winograd F(4×4, 3×3).
    var winograd: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case images, labels, model, foreground, iterations, minutes, out, loss, optimizer, lr, batch, patch, seed, threads, precision
        case schedule, warmup, elastic, blur, clahe, jitter, winograd
        case validateImages = "validate_images", validateLabels = "validate_labels", baseFilters = "base_filters"
        case weightDecay = "weight_decay", validateEvery = "validate_every", checkpointEvery = "checkpoint_every"
        case classWeights = "class_weights", errorMasking = "error_masking", patchPrior = "patch_prior"
        case switchAt = "switch_at"
    }

    static var knownKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Reads a YAML file; unknown keys and wrong types are one-line errors naming the file.
    static func load(_ path: String) throws -> TrainingConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PixelwiseError.file(path: path, problem: "cannot read the configuration file")
        }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw PixelwiseError.file(path: path, problem: "not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let dictionary = node as? [String: Any] else {
            if node == nil { return TrainingConfiguration() }
            throw PixelwiseError.file(path: path, problem: "the configuration must be a mapping of keys to values")
        }
        let unknown = dictionary.keys.filter { !knownKeys.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw PixelwiseError.file(path: path, problem: "unknown key\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")); known keys: \(knownKeys.sorted().joined(separator: ", "))")
        }
        do { return try YAMLDecoder().decode(TrainingConfiguration.self, from: text) } catch let DecodingError.typeMismatch(_, context) {
            throw PixelwiseError.file(path: path, problem: "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw PixelwiseError.file(path: path, problem: "cannot read the configuration: \(error)")
        }
    }

    /// `self` with every value that `other` sets replaced by it.
    func overridden(by other: TrainingConfiguration) -> TrainingConfiguration {
        var result = self
        // Codable round trip through a dictionary: set keys of `other` win.
        let encoder = JSONEncoder()
        guard let mine = try? JSONSerialization.jsonObject(with: encoder.encode(self)) as? [String: Any],
              let theirs = try? JSONSerialization.jsonObject(with: encoder.encode(other)) as? [String: Any] else { return result }
        let merged = mine.merging(theirs) { _, new in new }
        if let data = try? JSONSerialization.data(withJSONObject: merged),
           let decoded = try? JSONDecoder().decode(TrainingConfiguration.self, from: data) {
            result = decoded
        }
        return result
    }

    /// The configuration as YAML (written to RUN_DIR/config.yaml so a run can be repeated).
    func yaml() -> String { (try? YAMLEncoder().encode(self)) ?? "" }
}
