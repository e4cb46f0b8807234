import CTIFF
import Foundation
import PixelwiseCore

/// A multi-page TIFF read as a volume: page z is slice z, a page's colour samples (RGB, extra
/// samples) are channels. Any other single image (PNG, JPEG, BMP, a 1-page TIFF) is a volume of
/// depth 1. Opening reads the page directories only (and checks that every page has the same
/// size, samples and sample type); `read` decodes the pages the box crosses, one at a time, so
/// memory is one page plus the box.
public struct ImageStackVolume: VolumeReading {
    public let path: String
    public let format: ImageFormat
    public let geometry: VolumeGeometry
    public var name: String { path }

    public init(path: String) throws {
        self.path = path
        format = try ImageFormat.detect(path: path)
        guard format != .nifti, format != .hdf5 else {
            throw PixelwiseError.file(path: path, problem: "is a \(format == .nifti ? "NIfTI" : "HDF5") file: open it with VolumeSources.open")
        }
        guard format == .tiff else {
            let image = try ImageStack(path: path).page(0)
            geometry = VolumeGeometry(channels: image.channels, size: [1, image.height, image.width], sampleType: image.sampleType)
            return
        }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        func layout() -> (width: Int, height: Int, channels: Int, type: String) {
            let spp = Int(file.uint16(TIFFTAG_SAMPLESPERPIXEL) ?? 1)
            let palette = file.uint16(TIFFTAG_PHOTOMETRIC) == UInt16(PHOTOMETRIC_PALETTE)
            let bits = file.uint16(TIFFTAG_BITSPERSAMPLE) ?? 1, sampleFormat = file.uint16(TIFFTAG_SAMPLEFORMAT) ?? 1
            return (Int(file.uint32(TIFFTAG_IMAGEWIDTH) ?? 0), Int(file.uint32(TIFFTAG_IMAGELENGTH) ?? 0),
                    palette ? 3 : spp, "\(bits)-bit format \(sampleFormat)")
        }
        let first = layout()
        // ImageJ's calibration (`ImageJCalibration`), unit not converted: only the ratios matter here.
        let spacing = file.calibration?.spacing ?? [1, 1, 1]
        var pages = 1
        while file.nextPage() {
            let page = layout()
            guard page.width == first.width, page.height == first.height, page.channels == first.channels, page.type == first.type else {
                throw PixelwiseError.file(path: path, problem: "page \(pages) is \(page.width)×\(page.height) with \(page.channels) channel(s) (\(page.type)) but page 0 is \(first.width)×\(first.height) with \(first.channels) (\(first.type)): a volume's pages must agree")
            }
            pages += 1
        }
        try file.selectPage(0)
        let image = try file.readPage()  // the sample type as the decoder sees it
        geometry = VolumeGeometry(channels: image.channels, size: [pages, image.height, image.width], spacing: spacing,
                                  sampleType: image.sampleType)
    }

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else { throw VolumeBoxes.outside(box, of: self) }
        var out = [Float](repeating: 0, count: box.voxels * geometry.channels)
        guard format == .tiff else {
            VolumeBoxes.copy(try ImageStack(path: path).page(0), box: box, depthIndex: 0, into: &out)
            return out
        }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        try file.selectPage(box.origin[0])
        for dz in 0..<box.size[0] {
            if dz > 0, !file.nextPage() { throw file.failure("cannot read page \(box.origin[0] + dz)") }
            let page = try file.readPage()
            VolumeBoxes.copy(page, box: box, depthIndex: dz, into: &out)
        }
        return out
    }
}

/// A folder of 2-D images taken as a stack: the image files sorted by name are slices 0, 1, …
/// (`slice_000.png`, `slice_001.png`, …; hidden files and unknown extensions are skipped).
/// Opening decodes the first image only; every slice must have its size, channels and sample
/// type, which `read` checks for the slices it decodes (an odd one is an error naming it).
public struct SliceFolderVolume: VolumeReading {
    public let folder: String
    public let files: [String]
    public let geometry: VolumeGeometry
    public var name: String { folder }

    public init(folder: String) throws {
        self.folder = folder
        files = try FilePairDataset.imageFiles(in: folder)
        guard let first = files.first else { throw PixelwiseError.file(path: folder, problem: "holds no images to take as slices") }
        for file in files {
            let stack = try ImageStack(path: file)
            guard stack.count == 1 else {
                throw PixelwiseError.file(path: file, problem: "holds \(stack.count) pages; a folder of slices takes one 2-D image per file")
            }
        }
        let image = try ImageStack(path: first).page(0)
        geometry = VolumeGeometry(channels: image.channels, size: [files.count, image.height, image.width], sampleType: image.sampleType)
    }

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else { throw VolumeBoxes.outside(box, of: self) }
        var out = [Float](repeating: 0, count: box.voxels * geometry.channels)
        for dz in 0..<box.size[0] {
            let file = files[box.origin[0] + dz]
            let image = try ImageStack(path: file).page(0)
            guard image.width == geometry.size[2], image.height == geometry.size[1], image.channels == geometry.channels,
                  image.sampleType == geometry.sampleType else {
                throw PixelwiseError.file(path: file, problem: "is \(image.width)×\(image.height), \(image.channels) channel(s) \(image.sampleType) but \(files[0]) is \(geometry.size[2])×\(geometry.size[1]), \(geometry.channels) channel(s) \(geometry.sampleType): the slices of a folder must agree")
            }
            VolumeBoxes.copy(image, box: box, depthIndex: dz, into: &out)
        }
        return out
    }
}
