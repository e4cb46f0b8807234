import Foundation
import Testing
@testable import PixelwiseIO

/// The other direction of the fixtures: stores Pixelwise writes, for zarr-python and h5py to read.
/// Runs only when asked: `PIXELWISE_EXPORT_CHUNKED=/tmp/pwx swift test --filter ChunkedExportTests`,
/// then `Fixtures/chunked/check_pixelwise_stores.py /tmp/pwx` (PROVENANCE.md has the results).
@Suite struct ChunkedExportTests {
    static let root = ProcessInfo.processInfo.environment["PIXELWISE_EXPORT_CHUNKED"]

    @Test(.enabled(if: root != nil, "set PIXELWISE_EXPORT_CHUNKED to a folder to export stores for other tools"))
    func exportsEveryCodecTypeAndOrder() throws {
        let root = try #require(Self.root)
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let codecs: [(String, ChunkCodec)] = [
            ("raw", .raw), ("zlib", .zlib(level: 1)), ("gzip", .gzip(level: 5)), ("zstd", .zstd(level: 3, checksum: true)),
            ("blosc_lz4", .blosc(.init())), ("blosc_zstd_bit", .blosc(.init(compressor: "zstd", shuffle: .bit))),
            ("blosc_lz4hc_none", .blosc(.init(compressor: "lz4hc", shuffle: .none))),
        ]
        let types: [(ChunkDataType.Kind, Bool)] = [(.uint8, false), (.int16, true), (.float32, false), (.uint32, false), (.float64, true)]
        for (name, codec) in codecs {
            for (type, bigEndian) in types {
                for order in [ChunkedStores.ChunkOrder.c, .f] {
                    for version in [2, 3] where !(version == 3 && name == "zlib") {
                        try ChunkedStoreTests.roundTrip("\(root)/v\(version).zarr/\(name)_\(type)_\(bigEndian ? "be" : "le")_\(order.rawValue)",
                                                        channels: type == .float32 ? 2 : 1, type: type, codec: codec, order: order,
                                                        zarrVersion: version, bigEndian: bigEndian)
                    }
                }
                if name != "blosc_lz4hc_none" { try ChunkedStoreTests.roundTrip("\(root)/out.n5/\(name)_\(type)", type: type, codec: codec) }
            }
        }
        try ChunkedStoreTests.roundTrip("\(root)/out.h5:/g/vol", channels: 2, type: .uint16, codec: .gzip(level: 3))
    }
}
