import PixelwiseCore
import PixelwiseKernels

/// Group normalisation (Wu & He 2018; PyTorch's `nn.GroupNorm(groups, channels)`): the channels
/// split into `groups` groups of C/G consecutive channels, and every sample's group is
/// normalised by its own mean and biased variance over those channels and all positions:
///
///   y = γ_c·(x − μ_ng)/√(σ²_ng + ε) + β_c,   μ_ng, σ²_ng over c ∈ g and all (D,) H, W.
///
/// Gradient (x̂ = (x − μ)/√(σ² + ε), r = 1/√(σ² + ε), means over the group's M = (C/G)·S values):
///   dL/dβ_c = Σ dy,  dL/dγ_c = Σ dy·x̂,  dL/dx = r·(γ_c·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)).
///
/// The same computation in training and inference: there are no running statistics. G = C is
/// `InstanceNormalization`, G = 1 layer normalisation over (C, [D,] H, W).
/// Shapes: (N, C, [D,] H, W) → same, either layout. Parameters `weight` (γ) and `bias` (β) of
/// shape (C), PyTorch's names (none when `affine` is false).
public final class GroupNormalization: GroupNormalizing {
    public struct Configuration: Codable, Equatable, Sendable {
        public var groups: Int
        public var channels: Int
        public var epsilon: Float
        public var affine: Bool
        public init(groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
            self.groups = groups
            self.channels = channels
            self.epsilon = epsilon
            self.affine = affine
        }
    }

    public static let kind = "GroupNormalization"
    public let configuration: Configuration
    public let weight: Parameter, bias: Parameter
    public let saved = GroupNormStatistics()
    public var groupCount: Int { configuration.groups }
    public var channels: Int { configuration.channels }
    public var epsilon: Float { configuration.epsilon }
    public var affine: Bool { configuration.affine }

    public init(_ configuration: Configuration) throws {
        let (g, c) = (configuration.groups, configuration.channels)
        guard c > 0, g > 0, c % g == 0 else {
            throw PixelwiseError.invalidArgument("GroupNormalization: \(g) groups must be positive and divide the \(c) channels")
        }
        guard configuration.epsilon >= 0 else { throw PixelwiseError.invalidArgument("GroupNormalization: epsilon must be ≥ 0") }
        self.configuration = configuration
        weight = Parameter(Tensor(repeating: 1, shape: [c]))
        bias = Parameter(Tensor(zeros: [c]))
    }

    public convenience init(groups: Int, channels: Int) throws { try self.init(Configuration(groups: groups, channels: channels)) }
}
