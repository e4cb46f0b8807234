import CTIFF
#if canImport(Glibc)
import Glibc
#endif
import PixelwiseCore

/// libtiff still routes messages raised before a handle exists to the process-wide handlers;
/// silence them once (a global `let` is initialised exactly once, thread-safely).
private let globalTIFFHandlersSilenced: Void = pw_tiff_silence_global_handlers()

/// One open libtiff handle. Its error messages go to a buffer owned by this object (never to
/// stderr), and every failure is reported as `PixelwiseError.file` naming `path` and quoting
/// libtiff's first message.
///
/// Reading is in `TIFFFile+Reading.swift`, writing in `TIFFFile+Writing.swift`.
final class TIFFFile {
    /// The path errors name (for writes, the final path rather than the temporary one).
    let path: String
    let handle: OpaquePointer
    private let message: UnsafeMutablePointer<PWTIFFMessage>
    private var isOpen = true

    /// Opens `filePath` with a TIFFOpen `mode`: "r", or "w" plus "l"/"b" for the byte order and
    /// "8" for BigTIFF. Files are read with `read`, never memory-mapped (libtiff maps them by
    /// default): a mapped stack's pages stay in the process's resident memory once touched, so
    /// streaming a long stack page by page would grow it by the whole file.
    init(opening filePath: String, mode: String, reportingAs path: String) throws {
        _ = globalTIFFHandlersSilenced
        let mode = mode.hasPrefix("r") && !mode.contains("m") ? mode + "m" : mode
        let message = UnsafeMutablePointer<PWTIFFMessage>.allocate(capacity: 1)
        message.initialize(to: PWTIFFMessage())
        guard let handle = pw_tiff_open(filePath, mode, message) else {
            let text = Self.text(of: message)
            message.deallocate()
            throw PixelwiseError.file(path: path, problem: text.isEmpty ? "cannot open as TIFF" : "unreadable TIFF: \(text)")
        }
        self.path = path
        self.handle = handle
        self.message = message
    }

    deinit {
        close()
        message.deallocate()
    }

    /// Closes the handle (flushing a file being written); later calls do nothing.
    func close() {
        if isOpen { TIFFClose(handle) }
        isOpen = false
    }

    /// Writes what libtiff still buffers (the last strips, the page directory) and closes the
    /// file; throws if that fails, where `close()` (libtiff's `TIFFClose` returns nothing) would
    /// leave a truncated file looking finished.
    func finishWriting() throws {
        errno = 0
        guard TIFFFlush(handle) == 1 else {
            let error = failure("cannot write the file")
            close()
            throw error
        }
        close()
    }

    /// `PixelwiseError.file` with `problem`, followed by libtiff's message if it gave one; the
    /// disk's own words when a write failed because it is full or a size limit was reached.
    func failure(_ problem: String) -> PixelwiseError {
        let text = Self.text(of: message)
        message.pointee = PWTIFFMessage()
        return PixelwiseError.file(path: path, problem: FileBytes.writeProblem(text.isEmpty ? problem : "\(problem): \(text)"))
    }

    private static func text(of message: UnsafeMutablePointer<PWTIFFMessage>) -> String {
        withUnsafeBytes(of: &message.pointee.text) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    // MARK: Typed tag access (TIFFGetField/TIFFSetField are variadic; see Sources/CTIFF/shim.h).

    /// A 16-bit tag, or libtiff's default for it, or nil if it has neither.
    func uint16(_ tag: Int32) -> UInt16? {
        var value: UInt16 = 0
        return pw_tiff_get_u16(handle, UInt32(tag), &value) == 1 ? value : nil
    }

    /// A 32-bit tag, or libtiff's default for it, or nil if it has neither.
    func uint32(_ tag: Int32) -> UInt32? {
        var value: UInt32 = 0
        return pw_tiff_get_u32(handle, UInt32(tag), &value) == 1 ? value : nil
    }

    /// An ASCII tag of the current page, or nil if it has none.
    func string(_ tag: Int32) -> String? {
        var value: UnsafePointer<CChar>?
        guard pw_tiff_get_string(handle, UInt32(tag), &value) == 1, let value else { return nil }
        return String(cString: value)
    }

    /// A RATIONAL tag of the current page as libtiff gives it (a float), or nil if it has none.
    func float(_ tag: Int32) -> Float? {
        var value: Float = 0
        return pw_tiff_get_float(handle, UInt32(tag), &value) == 1 ? value : nil
    }

    func set(_ tag: Int32, uint16 value: UInt16) throws {
        guard pw_tiff_set_u16(handle, UInt32(tag), value) == 1 else { throw failure("cannot set TIFF tag \(tag)") }
    }

    func set(_ tag: Int32, uint32 value: UInt32) throws {
        guard pw_tiff_set_u32(handle, UInt32(tag), value) == 1 else { throw failure("cannot set TIFF tag \(tag)") }
    }
}
