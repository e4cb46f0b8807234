import PixelwiseCore
import PixelwiseKernels

/// Instance normalisation (Ulyanov et al. 2016; PyTorch's `nn.InstanceNorm2d/3d(channels,
/// affine=True)`, nnU-Net's default): every (sample, channel) map is normalised by its own mean
/// and biased variance over the positions:
///
///   y = γ_c·(x − μ_nc)/√(σ²_nc + ε) + β_c,   μ_nc, σ²_nc over all (D,) H, W of sample n, channel c.
///
/// Gradient (x̂ = (x − μ)/√(σ² + ε), r = 1/√(σ² + ε), means over the map's S positions):
///   dL/dβ_c = Σ dy,  dL/dγ_c = Σ dy·x̂,  dL/dx = r·γ_c·(dy − mean(dy) − x̂·mean(dy·x̂)).
///
/// The same computation in training and inference: no running statistics (PyTorch's
/// `track_running_stats=True` is not supported). It is `GroupNormalization` with one channel
/// per group, on the same kernel. Unlike PyTorch, `affine` defaults to true.
/// Shapes: (N, C, [D,] H, W) → same, either layout. Parameters `weight` (γ) and `bias` (β) of
/// shape (C) (none when `affine` is false).
public final class InstanceNormalization: GroupNormalizing {
    public struct Configuration: Codable, Equatable, Sendable {
        public var channels: Int
        public var epsilon: Float
        public var affine: Bool
        public init(channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
            self.channels = channels
            self.epsilon = epsilon
            self.affine = affine
        }
    }

    public static let kind = "InstanceNormalization"
    public let configuration: Configuration
    public let weight: Parameter, bias: Parameter
    public let saved = GroupNormStatistics()
    public var groupCount: Int { configuration.channels }
    public var channels: Int { configuration.channels }
    public var epsilon: Float { configuration.epsilon }
    public var affine: Bool { configuration.affine }

    public init(_ configuration: Configuration) throws {
        guard configuration.channels > 0 else { throw PixelwiseError.invalidArgument("InstanceNormalization: channels must be positive") }
        guard configuration.epsilon >= 0 else { throw PixelwiseError.invalidArgument("InstanceNormalization: epsilon must be ≥ 0") }
        self.configuration = configuration
        weight = Parameter(Tensor(repeating: 1, shape: [configuration.channels]))
        bias = Parameter(Tensor(zeros: [configuration.channels]))
    }

    public convenience init(channels: Int) throws { try self.init(Configuration(channels: channels)) }
}
