import Foundation

/// What a checkpoint remembers about the run besides weights and optimiser state
/// (`ModelFile.trainerState`, as JSON).
public struct TrainerState: Codable, Sendable {
    public struct Point: Codable, Sendable { public var iteration: Int; public var loss: Float }
    public struct Validation: Codable, Sendable { public var iteration: Int; public var scores: Scores }
    /// Validation of a model with more than two classes: per-class IoU and Dice, their means.
    public struct ClassValidation: Codable, Sendable { public var iteration: Int; public var scores: ClassScores }
    public var iteration = 0
    public var elapsed: Double = 0
    public var bestRandError = Double.infinity
    public var bestIteration = 0
    /// The trainer's reference for an exploding loss (the run's first loss).
    public var firstLoss: Float?
    public var losses: [Point] = []
    public var validations: [Validation] = []
    /// More than two classes: the validations (instead of `validations`), and the best mean Dice
    /// (model.h5's). Optional so that checkpoints written before them still load.
    public var classValidations: [ClassValidation]?
    public var bestMeanDice: Double?

    public init() {}
    public init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(TrainerState.self, from: Data(json.utf8))
    }
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
