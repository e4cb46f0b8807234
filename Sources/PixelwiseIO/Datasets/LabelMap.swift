import PixelwiseCore

/// Label consolidation: maps the values stored in a label image to class indices.
///
/// Data sets store classes as grey values (ssTEM: nine values 0, 32, …, 255; ISBI 2012: 0 and
/// 255; Oxford-IIIT Pet trimaps: 1, 2, 3). Training needs class indices 0…n−1, and sometimes
/// fewer classes than stored values (ssTEM foreground = {191 mitochondria, 255 intracellular}).
/// A value can also map to `LabelMap.ignore` (−1): such pixels carry no error in the loss and
/// are not counted in class frequencies.
public struct LabelMap: Sendable, Equatable {
    /// The class index for pixels that must not contribute to the loss.
    public static let ignore: Int32 = -1

    /// Stored value → class index (or `ignore`).
    public var classes: [Float: Int32]
    /// Class for values that appear in no entry; `nil` makes such a value an error.
    public var otherwise: Int32?
    /// Number of classes (indices 0…classCount−1).
    public var classCount: Int

    public init(classes: [Float: Int32], otherwise: Int32? = nil, classCount: Int? = nil) {
        self.classes = classes
        self.otherwise = otherwise
        let largest = (Array(classes.values) + [otherwise ?? -1]).max() ?? -1
        self.classCount = classCount ?? Int(largest) + 1
    }

    /// Two classes: `values` → 1 (foreground), every other value → 0 (background).
    /// ssTEM: `LabelMap.foreground([191, 255])`; ISBI 2012: `LabelMap.foreground([255])`.
    public static func foreground(_ values: [Float]) -> LabelMap {
        LabelMap(classes: Dictionary(values.map { ($0, Int32(1)) }, uniquingKeysWith: { a, _ in a }),
                 otherwise: 0, classCount: 2)
    }

    /// One class per listed value, in the order given: values[k] → k. Any other value is an error.
    public static func identity(values: [Float]) -> LabelMap {
        LabelMap(classes: Dictionary(values.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a }),
                 otherwise: nil, classCount: values.count)
    }

    /// The class of one stored value, or `nil` if the map has no class for it.
    public func classIndex(of value: Float) -> Int32? {
        classes[value] ?? otherwise
    }

    /// Classes of every pixel of a one-channel label image, row-major (y * width + x).
    /// Throws `PixelwiseError.file` naming `name` and the first unmapped value.
    public func apply(to labels: Image, name: String = "label image") throws -> [Int32] {
        guard labels.channels == 1 else {
            throw PixelwiseError.file(path: name, problem: "label image has \(labels.channels) channels, expected 1")
        }
        var out = [Int32](repeating: 0, count: labels.pixels.count)
        // Label images hold few distinct values: cache the last lookup to keep this one pass.
        var lastValue = Float.nan, lastClass: Int32 = 0
        for (i, v) in labels.pixels.enumerated() {
            if v != lastValue {
                guard let c = classIndex(of: v) else {
                    throw PixelwiseError.file(path: name, problem: "label value \(formatted(v)) at pixel (\(i % labels.width), \(i / labels.width)) has no class in the label map")
                }
                lastValue = v
                lastClass = c
            }
            out[i] = lastClass
        }
        return out
    }

    private func formatted(_ v: Float) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }
}
