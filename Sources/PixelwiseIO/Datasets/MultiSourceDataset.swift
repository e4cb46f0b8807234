import PixelwiseCore

/// Samples whose input channels come from several co-registered files per case — BraTS's four
/// MRI modalities (`*_flair`, `*_t1`, `*_t1ce`, `*_t2.nii.gz`), stains in separate TIFFs,
/// `FILE.h5:/raw` with `FILE.h5:/membrane_probability` — labelled by one label file per case.
///
/// Every file is opened as an `ImageStack` (an image is a 1-page stack, a TIFF stack or volume a
/// page per slice); sample i is page j of case k, all cases' pages in order. A source's pages
/// supply its channels as `RawNormalisation.apply(toSources:names:)` says, except a NIfTI file
/// with a 4th axis (x, y, z, modality): its slice z supplies one channel per modality.
public struct MultiSourceDataset: SegmentationDataset {
    /// One case: its channel sources, in channel order, and its label file.
    public struct Case: Sendable, Equatable {
        public var sources: [String]
        public var labels: String
        public init(sources: [String], labels: String) {
            self.sources = sources
            self.labels = labels
        }
    }

    public let cases: [Case]
    public var labelMap: LabelMap
    public var normalisation: RawNormalisation
    private let stacks: [(sources: [ImageStack], labels: ImageStack)]
    /// First sample index of each case, and the total.
    private let starts: [Int]

    /// Opens every file (headers and page counts only). Throws `PixelwiseError.file` naming
    /// the file whose page count differs from its case's label file, or an unreadable file.
    public init(cases: [Case], labelMap: LabelMap, normalisation: RawNormalisation) throws {
        guard !cases.isEmpty else { throw PixelwiseError.invalidArgument("a multi-source data set needs at least one case") }
        var stacks = [(sources: [ImageStack], labels: ImageStack)](), starts = [0]
        for item in cases {
            guard !item.sources.isEmpty else { throw PixelwiseError.file(path: item.labels, problem: "has no channel sources") }
            let labels = try ImageStack(path: item.labels)
            let sources = try item.sources.map { try ImageStack(path: $0) }
            for (source, path) in zip(sources, item.sources) where Self.pages(of: source) != labels.count {
                throw PixelwiseError.file(path: path, problem: "has \(Self.pages(of: source)) slices but its label file \(item.labels) has \(labels.count)")
            }
            stacks.append((sources, labels))
            starts.append(starts.last! + labels.count)
        }
        self.cases = cases
        self.labelMap = labelMap
        self.normalisation = normalisation
        self.stacks = stacks
        self.starts = starts
    }

    public var count: Int { starts.last! }

    /// Network input channels of every sample (from the first case's files).
    public func inputChannels() throws -> Int {
        let first = try stacks[0].sources.map { try Self.page(0, of: $0) }
        return first.reduce(0) { $0 + normalisation.outputChannels(stored: $1.channels) }
    }

    public func sample(_ index: Int) throws -> Sample {
        guard (0..<count).contains(index) else {
            throw PixelwiseError.invalidArgument("sample \(index) of a data set of \(count)")
        }
        let k = starts.lastIndex { $0 <= index }!, page = index - starts[k]
        let (sources, labels) = stacks[k]
        let raw = try normalisation.apply(toSources: try sources.map { try Self.page(page, of: $0) },
                                          names: cases[k].sources.map { "\($0)[\(page)]" })
        let label = try labels.page(page)
        let labelName = "\(cases[k].labels)[\(page)]"
        guard raw.width == label.width, raw.height == label.height else {
            throw PixelwiseError.file(path: labelName, problem: "label slice is \(label.width)×\(label.height) but its sources are \(raw.width)×\(raw.height)")
        }
        return Sample(raw: raw, labels: try labelMap.apply(to: label, name: labelName), name: "\(cases[k].sources[0])[\(page)]")
    }

    /// Pages a source supplies: a 4-D NIfTI file's z slices, any other stack's pages.
    static func pages(of stack: ImageStack) -> Int {
        if let nifti = stack.nifti, nifti.volumes > 1 { return nifti.depth }
        return stack.count
    }

    /// Page `index` of a source; for a 4-D NIfTI file, slice z = `index` of every volume as channels.
    static func page(_ index: Int, of stack: ImageStack) throws -> Image {
        guard let nifti = stack.nifti, nifti.volumes > 1 else { return try stack.page(index) }
        let slices = try (0..<nifti.volumes).map { try nifti.slice(index, volume: $0) }
        let c = slices.count, n = nifti.width * nifti.height
        var pixels = [Float](repeating: 0, count: n * c)
        for (k, slice) in slices.enumerated() { for p in 0..<n { pixels[p * c + k] = slice.pixels[p] } }
        return Image(width: nifti.width, height: nifti.height, channels: c, sampleType: slices[0].sampleType, pixels: pixels)
    }
}
