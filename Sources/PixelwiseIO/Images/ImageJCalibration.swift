import CTIFF
import Foundation

/// A TIFF stack's voxel size as ImageJ and Fiji record it (tifffile's `imagej=True` too): the
/// slice distance as `spacing=` and the unit as `unit=` in the first page's ImageDescription, the
/// pixel size as X/YResolution (pixels per unit). Reading gives the spacing (z, y, x) volumes use;
/// `segment` writes it back into the stacks it makes from calibrated stacks, so a result opens in
/// Fiji with its input's calibration.
public struct ImageJCalibration: Sendable, Equatable {
    /// Voxel size (z, y, x) in `unit`.
    public var spacing: [Double]
    /// ImageJ's unit name as the file gives it ("micron", "nm", "µm"); nil when it names none.
    public var unit: String?

    public init(spacing: [Double], unit: String? = nil) {
        self.spacing = spacing
        self.unit = unit
    }

    /// The calibration an ImageJ description and the resolution tags give, or nil when the
    /// description is not ImageJ's (the resolution tags alone are a print size, not a voxel size).
    /// Missing or unusable values are 1.
    public init?(description: String?, xResolution: Float?, yResolution: Float?) {
        guard let description, description.hasPrefix("ImageJ=") else { return nil }
        func positive(_ v: Double?) -> Double? { v.flatMap { $0 > 0 && $0.isFinite ? $0 : nil } }
        var z: Double?
        for line in description.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("spacing=") { z = positive(Double(line.dropFirst("spacing=".count))) }
            if line.hasPrefix("unit=") { unit = String(line.dropFirst("unit=".count)) }
        }
        let x = positive(xResolution.map { 1 / Double($0) }), y = positive(yResolution.map { 1 / Double($0) }) ?? x
        spacing = [z ?? 1, y ?? 1, x ?? y ?? 1]
    }

    /// The calibration of the TIFF file at `path` (its first page), nil when it has none.
    public static func read(path: String) throws -> ImageJCalibration? {
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        return file.calibration
    }

    /// ImageDescription for a stack of `pages` slices, as ImageJ writes one.
    func description(pages: Int) -> String {
        "ImageJ=1.11a\nimages=\(pages)\nslices=\(pages)\n" + (unit.map { "unit=\($0)\n" } ?? "")
            + "spacing=\(spacing[0])\nloop=false\n"
    }
}

extension TIFFFile {
    /// The current page's ImageJ calibration, if it has one.
    var calibration: ImageJCalibration? {
        ImageJCalibration(description: string(TIFFTAG_IMAGEDESCRIPTION), xResolution: float(TIFFTAG_XRESOLUTION),
                          yResolution: float(TIFFTAG_YRESOLUTION))
    }

    /// Records `calibration` on the page being written: the resolution tags on every page, the
    /// ImageJ description (which names the stack's `pages`) on the first.
    func setCalibration(_ calibration: ImageJCalibration, firstPage: Bool, pages: Int) throws {
        guard pw_tiff_set_rational(handle, UInt32(TIFFTAG_XRESOLUTION), 1 / calibration.spacing[2]) == 1,
              pw_tiff_set_rational(handle, UInt32(TIFFTAG_YRESOLUTION), 1 / calibration.spacing[1]) == 1 else {
            throw failure("cannot set the resolution tags")
        }
        try set(TIFFTAG_RESOLUTIONUNIT, uint16: UInt16(RESUNIT_NONE))
        if firstPage, pw_tiff_set_string(handle, UInt32(TIFFTAG_IMAGEDESCRIPTION), calibration.description(pages: pages)) != 1 {
            throw failure("cannot set the image description")
        }
    }
}
