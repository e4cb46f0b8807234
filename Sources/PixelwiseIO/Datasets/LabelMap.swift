import Foundation
import PixelwiseCore

/// Label consolidation: maps the values stored in a label image to class indices.
///
/// Data sets store classes as grey values (ssTEM: nine values 0, 32, …, 255; ISBI 2012: 0 and
/// 255; Oxford-IIIT Pet trimaps: 1, 2, 3; BraTS: 0, 1, 2, 4). Training needs class indices
/// 0…n−1, and sometimes fewer classes than stored values (ssTEM's five membrane orientations
/// 0, 32, 64, 96, 128 are one membrane class). A value can also map to `LabelMap.ignore` (−1):
/// such pixels carry no error in the loss and are not counted in class frequencies.
///
/// Labels given as instance ids (CREMI's `neuron_ids`) are not classes at all: `instances`
/// turns them into boundary/interior targets instead (`LabelMap.instanceBoundaries`).
///
/// `Codable`, so the model file keeps the mapping, the class names and the value `segment`
/// writes for each class (`outputValues`).
public struct LabelMap: Sendable, Equatable, Codable {
    /// The class index for pixels that must not contribute to the loss.
    public static let ignore: Int32 = -1

    /// Stored value → class index (or `ignore`).
    public var classes: [Float: Int32]
    /// Class for values that appear in no entry; `nil` makes such a value an error.
    public var otherwise: Int32?
    /// Number of classes (indices 0…classCount−1).
    public var classCount: Int
    /// A name per class ("membrane", "mitochondria"); empty when the classes are unnamed.
    public var names: [String]
    /// The label value written for each class when segmenting: by default the smallest stored
    /// value of the class (so ssTEM's merged membrane writes 0, BraTS's class 3 writes 4), or the
    /// class index for a class that only `otherwise` reaches.
    public var outputValues: [Float]
    /// When set, label images hold instance ids, turned into boundary/interior targets.
    public var instances: InstanceTargets?

    public init(classes: [Float: Int32], otherwise: Int32? = nil, classCount: Int? = nil,
                names: [String] = [], outputValues: [Float]? = nil) {
        self.classes = classes
        self.otherwise = otherwise
        let largest = (Array(classes.values) + [otherwise ?? -1]).max() ?? -1
        let count = classCount ?? Int(largest) + 1
        self.classCount = count
        self.names = names
        self.outputValues = outputValues ?? (0..<count).map { k in
            classes.filter { $0.value == Int32(k) }.keys.min() ?? Float(k)
        }
        instances = nil
    }

    /// Two classes: `values` → 1 (foreground), every other value → 0 (background).
    /// ssTEM: `LabelMap.foreground([191, 255])`; ISBI 2012: `LabelMap.foreground([255])`.
    /// Segmenting writes 0 and 255.
    public static func foreground(_ values: [Float]) -> LabelMap {
        LabelMap(classes: Dictionary(values.map { ($0, Int32(1)) }, uniquingKeysWith: { a, _ in a }),
                 otherwise: 0, classCount: 2, outputValues: [0, 255])
    }

    /// One class per listed value, in the order given: values[k] → k. Any other value is an error.
    public static func identity(values: [Float]) -> LabelMap {
        LabelMap(classes: Dictionary(values.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a }),
                 otherwise: nil, classCount: values.count, outputValues: values)
    }

    /// One class as a user names it: its stored values (several values merge into one class).
    public struct Class: Sendable, Equatable, Codable {
        public var name: String?
        public var values: [Float]
        public init(name: String? = nil, values: [Float]) {
            self.name = name
            self.values = values
        }
    }

    /// Classes in the order given (class k = `classes[k]`), values in `ignore` ignored, and any
    /// other value mapped to class `otherwise` (nil: an error when met). Throws a one-line
    /// `PixelwiseError.invalidArgument` for a value listed twice or a class without values.
    public init(classes list: [Class], ignore: [Float] = [], otherwise: Int32? = nil) throws {
        var map = [Float: Int32]()
        func add(_ value: Float, _ index: Int32, _ owner: String) throws {
            if let earlier = map[value] {
                let other = earlier == LabelMap.ignore ? "ignore" : list[Int(earlier)].name ?? "class \(earlier)"
                throw PixelwiseError.invalidArgument("label value \(Self.formatted(value)) is given to both \(other) and \(owner)")
            }
            map[value] = index
        }
        for (k, item) in list.enumerated() {
            guard !item.values.isEmpty || otherwise == Int32(k) else {
                throw PixelwiseError.invalidArgument("class \(item.name ?? String(k)) has no label values")
            }
            for v in item.values { try add(v, Int32(k), item.name ?? "class \(k)") }
        }
        for v in ignore { try add(v, LabelMap.ignore, "ignore") }
        if let otherwise, otherwise != LabelMap.ignore, !(0..<Int32(list.count)).contains(otherwise) {
            throw PixelwiseError.invalidArgument("unlisted label values go to class \(otherwise), but there are \(list.count) classes")
        }
        // A class reached only by unlisted values writes 0 when segmenting, or the smallest
        // non-negative integer no other class or ignore uses.
        let used = Set(map.keys)
        let free = (0...65535).lazy.map(Float.init).first { !used.contains($0) } ?? 0
        let named = list.contains { $0.name != nil }
        self.init(classes: map, otherwise: otherwise, classCount: list.count,
                  names: named ? list.enumerated().map { $1.name ?? "class \($0)" } : [],
                  outputValues: list.map { $0.values.first ?? free })
    }

    /// Boundary/interior targets from instance ids (see `InstanceTargets`): 2 classes,
    /// 0 "boundary" and 1 "interior", written as 0 and 255 (ISBI's membrane/cell convention).
    public static func instanceBoundaries(_ targets: InstanceTargets = InstanceTargets()) -> LabelMap {
        var map = LabelMap(classes: [:], otherwise: nil, classCount: 2, names: ["boundary", "interior"], outputValues: [0, 255])
        map.instances = targets
        return map
    }

    /// The class of one stored value, or `nil` if the map has no class for it.
    public func classIndex(of value: Float) -> Int32? {
        classes[value] ?? otherwise
    }

    /// The class's name, or "class k".
    public func name(ofClass k: Int) -> String { k < names.count ? names[k] : "class \(k)" }

    /// Classes of every pixel of a one-channel label image, row-major (y * width + x).
    /// Throws `PixelwiseError.file` naming `name` and the first unmapped value.
    public func apply(to labels: Image, name: String = "label image") throws -> [Int32] {
        guard labels.channels == 1 else {
            throw PixelwiseError.file(path: name, problem: "label image has \(labels.channels) channels, expected 1")
        }
        if let instances { return instances.targets(for: labels) }
        var out = [Int32](repeating: 0, count: labels.pixels.count)
        // Label images hold few distinct values: cache the last lookup to keep this one pass.
        var lastValue = Float.nan, lastClass: Int32 = 0
        for (i, v) in labels.pixels.enumerated() {
            if v != lastValue {
                guard let c = classIndex(of: v) else {
                    throw PixelwiseError.file(path: name, problem: "label value \(Self.formatted(v)) at pixel (\(i % labels.width), \(i / labels.width)) has no class in the label map")
                }
                lastValue = v
                lastClass = c
            }
            out[i] = lastClass
        }
        return out
    }

    /// Label values for class indices (e.g. a segmentation): class k → `outputValues[k]`.
    public func labelValues(for classIndices: [Int32]) -> [Float] {
        classIndices.map { $0 >= 0 && Int($0) < outputValues.count ? outputValues[Int($0)] : 0 }
    }

    static func formatted(_ v: Float) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }

    // MARK: Codable: classes as a readable list

    private struct Entry: Codable {
        var name: String?
        var values: [Float]
        var output: Float?
    }

    private enum CodingKeys: String, CodingKey { case classes, ignore, otherwise, instances }

    /// `{"classes": [{"name": "membrane", "values": [0, 32, 64, 96, 128], "output": 0}, …],
    ///   "ignore": [..], "otherwise": k, "instances": {…}}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let entries = (0..<classCount).map { k in
            Entry(name: k < names.count ? names[k] : nil,
                  values: classes.filter { $0.value == Int32(k) }.keys.sorted(), output: outputValues[k])
        }
        try c.encode(entries, forKey: .classes)
        try c.encode(classes.filter { $0.value == LabelMap.ignore }.keys.sorted(), forKey: .ignore)
        try c.encodeIfPresent(otherwise, forKey: .otherwise)
        try c.encodeIfPresent(instances, forKey: .instances)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let entries = try c.decode([Entry].self, forKey: .classes)
        var map = [Float: Int32]()
        for (k, entry) in entries.enumerated() { for v in entry.values { map[v] = Int32(k) } }
        for v in try c.decodeIfPresent([Float].self, forKey: .ignore) ?? [] { map[v] = LabelMap.ignore }
        let named = entries.contains { $0.name != nil }
        self.init(classes: map, otherwise: try c.decodeIfPresent(Int32.self, forKey: .otherwise), classCount: entries.count,
                  names: named ? entries.enumerated().map { $1.name ?? "class \($0)" } : [],
                  outputValues: entries.enumerated().map { k, e in e.output ?? e.values.min() ?? Float(k) })
        instances = try c.decodeIfPresent(InstanceTargets.self, forKey: .instances)
    }
}

// MARK: - Text form (command line, YAML)

extension LabelMap {
    /// Parses the command-line form: classes separated by spaces or `;`, each `NAME=VALUES` or just
    /// `VALUES`, values separated by commas; the name `ignore` lists ignored values; `*` as a
    /// class's value sends every unlisted value to that class.
    ///
    ///     "membrane=0,32,64,96,128 glia=159 mitochondria=191 synapse=223 cell=255"
    ///     "background=0 tumour=1,2,4"            (BraTS whole tumour)
    ///     "pet=1 background=2 ignore=3"          (Oxford-IIIT Pet trimaps)
    ///     "background=* foreground=255"
    public init(parsing text: String) throws {
        var list = [Class](), ignore = [Float](), otherwise: Int32?
        let items = text.split(whereSeparator: { $0 == " " || $0 == ";" || $0 == "\n" || $0 == "\t" }).map(String.init)
        guard !items.isEmpty else { throw PixelwiseError.invalidArgument("empty class list (give e.g. \"background=0 foreground=255\")") }
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts.count == 2 ? parts[0] : nil, valueText = parts.count == 2 ? parts[1] : parts[0]
            if let name, name.isEmpty { throw PixelwiseError.invalidArgument("class \"\(item)\": empty name before \"=\"") }
            var values = [Float](), catchAll = false
            for field in valueText.split(separator: ",", omittingEmptySubsequences: false) {
                if field == "*" { catchAll = true; continue }
                guard let v = Float(field), v.isFinite else {
                    throw PixelwiseError.invalidArgument("class \"\(item)\": \"\(field)\" is not a label value")
                }
                values.append(v)
            }
            if name == "ignore" {
                guard !catchAll else { throw PixelwiseError.invalidArgument("\"ignore=*\" is not allowed: list the ignored values") }
                ignore += values
                continue
            }
            if catchAll {
                guard otherwise == nil else { throw PixelwiseError.invalidArgument("\"*\" is given to two classes") }
                otherwise = Int32(list.count)
            }
            list.append(Class(name: name, values: values))
        }
        self = try LabelMap(classes: list, ignore: ignore, otherwise: otherwise)
    }
}

// MARK: - Instance ids

/// Boundary/interior targets from an instance-id label image (CREMI's `neuron_ids`): a pixel is
/// *boundary* (class 0) when one of its 4 neighbours inside the image holds another id — both
/// sides of a contact, as scikit-image's `find_boundaries(mode="thick")` — and *interior*
/// (class 1) otherwise. Pixels holding `background` (when set: unlabelled space, CREMI's
/// 0xFFFFFFFFFFFFFFFF read as a float, or 0) get `backgroundClass`: boundary (0) by default,
/// or `LabelMap.ignore`. Ids are compared as `Float`: exact up to 2²⁴.
public struct InstanceTargets: Sendable, Equatable, Codable {
    public var background: Float?
    public var backgroundClass: Int32

    public init(background: Float? = nil, backgroundClass: Int32 = 0) {
        self.background = background
        self.backgroundClass = backgroundClass
    }

    public func targets(for ids: Image) -> [Int32] {
        let (w, h) = (ids.width, ids.height), v = ids.pixels
        var out = [Int32](repeating: 1, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let p = y * w + x, id = v[p]
                if let background, id == background {
                    out[p] = backgroundClass
                    continue
                }
                if (x > 0 && v[p - 1] != id) || (x + 1 < w && v[p + 1] != id)
                    || (y > 0 && v[p - w] != id) || (y + 1 < h && v[p + w] != id) {
                    out[p] = 0
                }
            }
        }
        return out
    }
}

// MARK: - Discovery

/// The label values met in a data set's label images, for when no mapping is given: counts per
/// value, a one-line summary, and the identity mapping over what was found.
public struct LabelValueCensus: Sendable, Equatable {
    /// Pixels per value.
    public private(set) var counts: [Float: Int] = [:]
    /// More distinct values than this reads as instance ids rather than classes.
    public static let instanceThreshold = 64

    public init() {}

    public mutating func add(_ labels: Image) {
        var last = Float.nan, run = 0
        for v in labels.pixels {
            if v == last { run += 1; continue }
            if run > 0 { counts[last, default: 0] += run }
            last = v
            run = 1
        }
        if run > 0 { counts[last, default: 0] += run }
    }

    /// The values found, ascending.
    public var values: [Float] { counts.keys.sorted() }

    /// Number of distinct values found.
    public var count: Int { counts.count }

    /// Whether the labels look like instance ids (many distinct values).
    public var looksLikeInstanceIds: Bool { counts.count > Self.instanceThreshold }

    /// One class per value found, in ascending order.
    public var identityMap: LabelMap { LabelMap.identity(values: values) }

    /// e.g. `found 5 label values: 0 (61.2%), 1 (20.1%), 2 (9.3%), 3 (5.0%), 4 (4.4%)`, or for
    /// instance ids `found 1207 label values (0 … 4093): these look like instance ids; use instance
    /// boundaries or give a class mapping`.
    public var summary: String {
        let total = Double(counts.values.reduce(0, +))
        let sorted = values
        guard !sorted.isEmpty else { return "found no label values" }
        if looksLikeInstanceIds {
            return "found \(sorted.count) label values (\(LabelMap.formatted(sorted.first!)) … \(LabelMap.formatted(sorted.last!))): these look like instance ids; use instance boundaries or give a class mapping"
        }
        let listed = sorted.map { v in
            let share = Double(counts[v]!) / total * 100
            return "\(LabelMap.formatted(v)) (\(share < 0.1 ? "<0.1" : String(format: "%.1f", share))%)"
        }
        return "found \(sorted.count) label value\(sorted.count == 1 ? "" : "s"): " + listed.joined(separator: ", ")
    }
}
