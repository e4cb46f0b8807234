import Foundation
import PixelwiseCore

/// The one place that turns a path into a `VolumeReading`: 3-D training and segmentation open
/// every raw and label volume here.
///
/// | path | reader |
/// |---|---|
/// | `FILE.zarr/PATH`, `FILE.n5/PATH`, any folder with zarr/N5 array metadata | `ChunkedArray` (docs/chunked.md) |
/// | `FILE.h5:/DATASET` (`.hdf5`, `.hdf` too) | `HDF5DatasetVolume` (hyperslabs; [D,H,W], [C,D,H,W], [D,H,W,C]) |
/// | `scan.nii`, `scan.nii.gz` | `NIfTIVolume` (4th axis = channels; spacing from pixdim) |
/// | a folder | `SliceFolderVolume` (its 2-D images sorted by name are the slices) |
/// | `stack.tif` / any image file | `ImageStackVolume` (pages = z, colour = channels) |
///
/// `spacing` (z, y, x; `--spacing z,y,x`) replaces the spacing the file gives (or its absence).
public enum VolumeSources {
    public static func open(_ path: String, spacing: [Double]? = nil) throws -> any VolumeReading {
        let volume = try openAsStored(path)
        guard let spacing else { return volume }
        guard spacing.count == 3, spacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw PixelwiseError.invalidArgument("spacing \(spacing.map { String($0) }.joined(separator: ",")): give three positive numbers z,y,x")
        }
        return RespacedVolume(volume, spacing: spacing)
    }

    /// Readers of other helpers plug in here, before the file-based ones: a path that one of
    /// these recognises is opened by it (zarr v2/v3 `FILE.zarr/PATH`, N5 `FILE.n5/PATH`).
    /// Each entry: does it take the path, and how to open it.
    static let storeReaders: [(takes: @Sendable (String) -> Bool, open: @Sendable (String) throws -> any VolumeReading)] = [
        (ChunkedStores.isStorePath, { path in
            guard let array = try ChunkedStores.open(path) else { throw PixelwiseError.file(path: path, problem: "not a zarr or N5 array") }
            return array
        }),
    ]

    /// The reader the path calls for, with the file's own spacing.
    static func openAsStored(_ path: String) throws -> any VolumeReading {
        if let store = storeReaders.first(where: { $0.takes(path) }) { return try store.open(path) }
        if let (file, dataset) = HDF5VolumeDataset.reference(path) {
            guard try ImageFormat.detect(path: file) == .hdf5 else {
                throw PixelwiseError.file(path: file, problem: "is not an HDF5 file, so \(path) names no dataset")
            }
            return try HDF5DatasetVolume(file: file, dataset: dataset)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: path, problem: "no such file or folder")
        }
        if isFolder.boolValue { return try SliceFolderVolume(folder: path) }
        switch try ImageFormat.detect(path: path) {
        case .nifti: return try NIfTIVolume(path: path)
        case .hdf5: throw PixelwiseError.file(path: path, problem: "is an HDF5 file: name the dataset, FILE.h5:/DATASET")
        default: return try ImageStackVolume(path: path)
        }
    }

    /// `"z,y,x"` (e.g. `"40,4,4"`, or one number for isotropic voxels) as a spacing.
    public static func parseSpacing(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3 || parts.count == 1, let values = parts.count == 1 ? parts[0].map({ [$0, $0, $0] }) : (parts.allSatisfy { $0 != nil } ? parts.map { $0! } : nil),
              values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw PixelwiseError.invalidArgument("--spacing \(text): give the voxel size as z,y,x (three positive numbers, e.g. 40,4,4) or one number")
        }
        return values
    }

    /// The classes of every voxel of a label volume (one channel): the whole volume, read a
    /// slab of slices at a time and mapped by `labelMap`.
    public static func classes(of volume: any VolumeReading, labelMap: LabelMap) throws -> [Int32] {
        let g = volume.geometry
        guard g.channels == 1 else {
            throw PixelwiseError.file(path: volume.name, problem: "label volume has \(g.channels) channels, expected 1")
        }
        var out = [Int32]()
        out.reserveCapacity(g.voxels)
        let slab = max(1, (1 << 22) / max(1, g.size[1] * g.size[2]))
        for z in stride(from: 0, to: g.size[0], by: slab) {
            let box = VoxelBox(origin: [z, 0, 0], size: [min(slab, g.size[0] - z), g.size[1], g.size[2]])
            out += try labelMap.apply(toBox: try volume.read(box), size: box.size, name: volume.name)
        }
        return out
    }
}
