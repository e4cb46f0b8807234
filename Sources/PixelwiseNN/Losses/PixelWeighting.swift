import PixelwiseCore

/// The weight each pixel's error gets, shared by the classification losses:
///
/// w_p = classWeight[y_p] · pixelWeight_p, and w_p = 0 where y_p < 0 or y_p == ignoreLabel.
///
/// Class weights counter class imbalance; pixel weights carry e.g. Ronneberger's border weights or
/// an error mask; the ignore value marks pixels without a label (Oxford-IIIT Pet's "unclassified").
public struct PixelWeighting: Codable, Equatable, Sendable {
    /// One weight per class, or nil for 1.
    public var classWeights: [Float]?
    /// A label value that carries no error (in addition to negative labels).
    public var ignoreLabel: Int32?

    public init(classWeights: [Float]? = nil, ignoreLabel: Int32? = nil) {
        self.classWeights = classWeights
        self.ignoreLabel = ignoreLabel
    }

    /// Whether label `y` is ignored.
    @inline(__always) func ignores(_ y: Int32) -> Bool { y < 0 || y == ignoreLabel }

    /// w_p for every pixel; throws for a label outside 0..<classes that is not ignored.
    func weights(for target: Target, classes: Int) throws -> [Float] {
        if let cw = classWeights, cw.count != classes {
            throw PixelwiseError.shapeMismatch("loss: \(cw.count) class weights for \(classes) classes")
        }
        var w = [Float](repeating: 0, count: target.labels.count)
        for (p, y) in target.labels.enumerated() where !ignores(y) {
            guard Int(y) < classes else {
                throw PixelwiseError.invalidArgument("loss: label \(y) at pixel \(p) is not a class (0..<\(classes))")
            }
            w[p] = (classWeights?[Int(y)] ?? 1) * (target.weights?[p] ?? 1)
        }
        return w
    }
}
