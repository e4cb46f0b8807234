import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN

/// A value spelled as one word on the command line and as a string in YAML: the recipe's choices.
public protocol RecipeText: Equatable, Sendable {
    /// The value a word spells, or nil when it spells none.
    init?(recipeText: String)
    var recipeText: String { get }
    /// The problem with a word that spells no value, e.g. "use fp32 or bf16".
    static var choices: String { get }
}

/// A choice among named values (an enum with string raw values): flags and YAML spell the raw value.
public protocol RecipeChoice: RecipeText, CaseIterable, RawRepresentable where RawValue == String {}

extension RecipeChoice {
    public init?(recipeText: String) { self.init(rawValue: recipeText) }
    public var recipeText: String { rawValue }

    /// "use a, b or c": the names a message lists.
    public static var choices: String {
        let names = allCases.map(\.rawValue)
        return "use " + (names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!)
    }
}

extension Precision: RecipeChoice {}

/// The optimiser `pixelwise train --optimizer` names.
public enum OptimizerChoice: String, RecipeChoice {
    /// Adam with L2 weight decay (default learning rate 1e-3).
    case adam
    /// Adam with decoupled weight decay (default decay 1e-4).
    case adamw
    /// SGD with momentum 0.99 (default learning rate 1e-2).
    case sgd

    /// The learning rate when the recipe gives none.
    public var defaultLearningRate: Float { self == .sgd ? 1e-2 : 1e-3 }

    public func makeOptimizer(learningRate: Float, weightDecay: Float?) -> any Optimizer {
        switch self {
        case .adam: return Adam(learningRate: learningRate, weightDecay: weightDecay ?? 0)
        case .adamw: return Adam(learningRate: learningRate, weightDecay: weightDecay ?? 1e-4, decoupled: true)
        case .sgd: return SGD(learningRate: learningRate, momentum: 0.99, weightDecay: weightDecay ?? 0)
        }
    }
}

/// The learning-rate schedule `--schedule` names.
public enum ScheduleChoice: String, RecipeChoice {
    case constant
    /// nnU-Net's poly 0.9 (the default).
    case poly
    case cosine
    /// ×0.1 at each third of the run.
    case step

    public func makeSchedule(iterations: Int) -> LearningRateSchedule {
        switch self {
        case .constant: return .constant
        case .poly: return .polynomial(power: 0.9)
        case .cosine: return .cosine
        case .step: return .step(every: max(1, iterations / 3), factor: 0.1)
        }
    }
}

/// Class weights for the loss: none, or the inverse class frequency of the training labels.
extension SliceAxis: RecipeChoice {}

public enum ClassWeighting: String, RecipeChoice {
    case none
    case balanced
}

/// How convolutions choose their algorithm (`AlgorithmSelection`): the fastest one within 1e-4 of
/// the direct convolution's output range, measured per layer and pass (the default); oneDNN's direct
/// kernels everywhere (`--exact` / `exact: true`); or Winograd F(4×4, 3×3) forced on every wide 3×3
/// convolution (`--winograd` / `winograd: true`, the fast mode of earlier versions).
public enum ConvolutionAlgorithm: String, Codable, Sendable, CaseIterable {
    case fastest
    case exact
    case winograd

    public init(winograd: Bool) { self = winograd ? .winograd : .fastest }
    public var isWinograd: Bool { self == .winograd }

    /// What the kernels are told.
    public var selection: AlgorithmSelection {
        switch self {
        case .fastest: return .fastest
        case .exact: return .exact
        case .winograd: return .winograd
        }
    }

    /// Sets both the training and the inference selection of `graph`.
    public func configure(_ graph: Graph) {
        graph.trainingOptions.algorithms = selection
        graph.inferenceOptions.algorithms = selection
    }
}

/// One loss by name.
public enum LossKind: String, RecipeChoice {
    case ce
    case focal
    case dice
    case diceCE = "dice+ce"
    case distanceAware = "distance-aware"
    case bce
    case malis
    /// Softmax cross-entropy plus λ · Malis (`malis_weight`, default 1): Malis fixes the topology
    /// of the (consolidated) foreground while cross-entropy keeps every class's pixels right.
    case ceMalis = "ce+malis"

    /// Whether the loss has a Malis term (which needs the foreground classes of a C > 2 run).
    var usesMalis: Bool { self == .malis || self == .ceMalis }

    /// The loss, with class weights where it takes them; wrapped in error masking when asked (not
    /// Malis: a pair loss has no per-pixel errors to mask). `foreground`: the classes whose union
    /// Malis keeps connected in a many-class run; `malisWeight`: λ of `ce+malis`.
    func makeLoss(weights: [Float]?, errorMasking: (seed: UInt64, startIteration: Int)?, foreground: Set<Int>? = nil,
                  malisWeight: Float = 1) -> any Loss {
        let base: any Loss
        switch self {
        case .ce: base = SoftmaxCrossEntropy(classWeights: weights)
        case .focal: base = FocalLoss(alpha: weights, gamma: 2)
        case .dice: base = DiceLoss()
        case .diceCE: base = CombinedLoss.diceCrossEntropy(classWeights: weights)
        case .distanceAware: base = DistanceAwareCrossEntropy()
        case .bce: base = BinaryCrossEntropy(classWeights: weights)
        case .malis: return MalisLoss(foregroundClasses: foreground)
        case .ceMalis:
            return CombinedLoss([(1, LossKind.ce.makeLoss(weights: weights, errorMasking: errorMasking)),
                                 (malisWeight, MalisLoss(foregroundClasses: foreground))])
        }
        guard let errorMasking else { return base }
        func masked<L: Loss>(_ loss: L) -> any Loss {
            ResumableErrorMasking(loss, seed: errorMasking.seed, startingAt: errorMasking.startIteration)
        }
        return masked(base)
    }
}

/// The training loss: one `LossKind`, or two (`ce,malis`) where the second takes over at the
/// recipe's `switch_at` iteration (Tschopp's softmax → Malis fine-tuning).
public struct LossChoice: RecipeText, CustomStringConvertible {
    public var first: LossKind
    public var then: LossKind?

    public init(_ first: LossKind, then: LossKind? = nil) {
        self.first = first
        self.then = then
    }

    public init?(recipeText: String) {
        let parts = recipeText.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), let first = LossKind(rawValue: parts[0]) else { return nil }
        if parts.count == 2 {
            guard let second = LossKind(rawValue: parts[1]) else { return nil }
            self.init(first, then: second)
        } else {
            self.init(first)
        }
    }

    public var recipeText: String { first.rawValue + (then.map { "," + $0.rawValue } ?? "") }
    public var description: String { recipeText }

    public static let choices = "use ce, focal, dice, dice+ce, distance-aware, bce, malis or ce+malis, or two as FIRST,SECOND"

    /// The part of `text` that names no loss (for the message).
    static func unknownPart(of text: String) -> String {
        text.split(separator: ",", omittingEmptySubsequences: false).map(String.init).first { LossKind(rawValue: $0) == nil } ?? text
    }
}

/// The U-Net presets' normalisation (`--norm`, `norm:`): batch, instance, group, group:<groups> or none.
extension UNet.Normalization: RecipeText {
    public init?(recipeText: String) {
        guard let norm = try? UNet.Normalization(parsing: recipeText) else { return nil }
        self = norm
    }
    public var recipeText: String { description }
    public static var choices: String { "use batch, instance, group, group:<groups> or none" }
}
