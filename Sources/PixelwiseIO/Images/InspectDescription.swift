import PixelwiseCore

/// One line describing an image file, for `pixelwise inspect`:
/// `path: TIFF 1024×1024, 1 page, 1 channel, uint8, min 12 max 255`.
///
/// Size, channels and sample type are the first page's (a stack whose pages differ adds
/// "(pages differ)"); min and max run over all channels of all pages, so every page is decoded.
public func inspectDescription(path: String) throws -> String {
    let stack = try ImageStack(path: path)
    let pages = try stack.readAll()
    let first = pages[0]
    let uniform = pages.allSatisfy {
        ($0.width, $0.height, $0.channels, $0.sampleType) == (first.width, first.height, first.channels, first.sampleType)
    }
    var low = Float.infinity, high = -Float.infinity
    for page in pages {
        if let range = page.valueRange { (low, high) = (min(low, range.min), max(high, range.max)) }
    }
    func number(_ value: Float) -> String {
        first.sampleType != .float32 && value == value.rounded() ? String(Int(value)) : "\(value)"
    }
    func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
    let range = low <= high ? "min \(number(low)) max \(number(high))" : "no values (all NaN)"
    return "\(path): \(stack.format.displayName) \(first.width)×\(first.height)\(uniform ? "" : " (pages differ)"), "
        + "\(plural(pages.count, "page")), \(plural(first.channels, "channel")), \(first.sampleType.rawValue), \(range)"
}
