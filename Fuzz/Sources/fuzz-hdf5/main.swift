import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The HDF5 readers: a model file (read, verified, rebuilt into a network, as `segment` does),
/// and, for any HDF5 file, every dataset read as a tensor and as a volume (as `inspect` and
/// `FILE.h5:/dataset` inputs do).
FuzzInput.main(suffix: ".h5") { path in
    do {
        let model = try ModelFile.read(from: path)
        _ = try model.makeGraph(path: path)
    } catch is PixelwiseError {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        for dataset in try file.datasetPaths() {
            _ = try? file.readTensor(at: dataset)
            _ = try? HDF5Volume.read(path: path, dataset: dataset)
        }
    }
}
