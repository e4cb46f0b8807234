#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// A scratch file of float32 planes that a result written in another order waits in (the
/// classes 1… of a class-major NIfTI volume while its slices are segmented in z order): planes
/// are appended one after another and read back by index. The file is hidden next to the output
/// (`.<name>.<pid>-<random>.planes`, so it lives on the output's file system) and removed when
/// the object goes away, whatever happened.
final class ScratchPlanes {
    let path: String
    /// What errors name: the output the planes belong to.
    let output: String
    private let descriptor: Int32
    private var offsets: [(offset: Int, count: Int)] = []
    private var end = 0

    init(near output: String) throws {
        let slash = output.lastIndex(of: "/")
        let folder = slash.map { String(output[..<$0]) } ?? "."
        let name = slash.map { String(output[output.index(after: $0)...]) } ?? output
        path = (slash == nil ? "" : folder + "/") + ".\(name).\(getpid())-\(UInt32.random(in: .min ... .max)).planes"
        self.output = output
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw PixelwiseError.file(path: output, problem: "cannot create scratch data next to it: " + String(cString: strerror(errno))) }
        unlink(path)  // the open descriptor keeps the data; nothing is left behind even on a crash
    }

    deinit { close(descriptor) }

    /// Appends one plane.
    func append(_ values: [Float]) throws {
        let bytes = values.count * 4
        try values.withUnsafeBytes { raw in
            var done = 0
            while done < bytes {
                let n = pwrite(descriptor, raw.baseAddress! + done, bytes - done, off_t(end + done))
                guard n > 0 else { throw PixelwiseError.file(path: output, problem: "cannot write scratch data next to it: " + String(cString: strerror(errno))) }
                done += n
            }
        }
        offsets.append((end, values.count))
        end += bytes
    }

    /// Plane `index` (0-based, in the order appended).
    func read(plane index: Int, count: Int) throws -> [Float] {
        precondition(offsets.indices.contains(index) && offsets[index].count == count, "ScratchPlanes: no plane \(index) of \(count) values")
        var values = [Float](repeating: 0, count: count)
        let bytes = count * 4, offset = offsets[index].offset
        try values.withUnsafeMutableBytes { raw in
            var done = 0
            while done < bytes {
                let n = pread(descriptor, raw.baseAddress! + done, bytes - done, off_t(offset + done))
                guard n > 0 else { throw PixelwiseError.file(path: output, problem: "cannot read scratch data back: " + String(cString: strerror(errno))) }
                done += n
            }
        }
        return values
    }
}
