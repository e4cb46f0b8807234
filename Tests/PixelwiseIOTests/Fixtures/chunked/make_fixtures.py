#!/usr/bin/env python3
"""Writes the chunked-store fixtures that Tests/PixelwiseIOTests/Chunked/ChunkedFixtureTests.swift reads.

zarr v2 and v3 arrays are written by zarr-python 3 (`zarr_format=2` / `3`); N5 datasets by
zarr-python 2's N5Store (zarr-python 3 has no N5). Every array holds the values `value(kind, i)`
of its C-order index i (some chunks left unwritten where the test wants the fill value), and
expected.json lists each array with its values as zarr-python reads them back, so the Swift
tests compare against zarr-python itself. See PROVENANCE.md for versions and the commands.

Run from this folder:  python make_fixtures.py v3   (zarr-python 3: zarr v2 + v3 stores)
                       python make_fixtures.py n5   (zarr-python 2: N5 store)
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import numcodecs
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))


def values(dtype, shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        v = i * 0.5 - 3.25
    elif kind.kind == "u":
        v = (i * 37) % min(256 if kind.itemsize == 1 else 65536, 2**24)
    else:
        v = (i * 37) % 256 - 128 if kind.itemsize == 1 else (i * 1237) % 65536 - 32768
    return v.astype(dtype).reshape(shape)


def record(entries, path, array, fmt, codec):
    back = np.asarray(array[...], dtype=np.float64).ravel()
    entries.append({
        "path": path, "format": fmt, "codec": codec, "shape": list(array.shape),
        "dtype": str(array.dtype),
        "values": [("NaN" if math.isnan(v) else v) for v in back.tolist()],
    })


def load(name):
    p = os.path.join(HERE, name)
    return json.load(open(p)) if os.path.exists(p) else []


def save(name, entries):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(entries, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")


def zarr_fixtures():
    from zarr.codecs import BloscCodec, BytesCodec, GzipCodec, TransposeCodec, ZstdCodec
    root = os.path.join(HERE, "zarr-python.zarr")
    shutil.rmtree(root, ignore_errors=True)
    entries = []
    shape, chunks = (3, 5, 6), (2, 3, 4)
    v2 = [  # name, dtype, compressor, order, separator
        ("v2_blosc_lz4_u1", "|u1", numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE), "C", "."),
        ("v2_blosc_zstd_bitshuffle_f4_F", "<f4", numcodecs.Blosc("zstd", 3, numcodecs.Blosc.BITSHUFFLE), "F", "/"),
        ("v2_blosc_lz4hc_noshuffle_i4", "<i4", numcodecs.Blosc("lz4hc", 9, numcodecs.Blosc.NOSHUFFLE), "C", "."),
        ("v2_blosc_blosclz_u2", "<u2", numcodecs.Blosc("blosclz", 5, numcodecs.Blosc.SHUFFLE), "C", "."),
        ("v2_blosc_zlib_f8", "<f8", numcodecs.Blosc("zlib", 5, numcodecs.Blosc.SHUFFLE), "C", "."),
        ("v2_zlib_bigendian_i2", ">i2", numcodecs.Zlib(3), "C", "."),
        ("v2_gzip_u2", "<u2", numcodecs.GZip(5), "C", "."),
        ("v2_zstd_f8", "<f8", numcodecs.Zstd(3), "C", "/"),
        ("v2_raw_i1_F", "|i1", None, "F", "."),
        ("v2_raw_bigendian_f4", ">f4", None, "C", "."),
    ]
    for name, dtype, compressor, order, sep in v2:
        a = zarr.create_array(store=root, name=name, shape=shape, chunks=chunks, dtype=dtype, compressors=compressor,
                              order=order, zarr_format=2, fill_value=0, chunk_key_encoding={"name": "v2", "separator": sep})
        a[...] = values(dtype, shape)
        record(entries, name, a, "zarr v2", str(compressor))
    # Missing chunks read as the fill value; a 4-D (c, z, y, x) array; a 2-D image.
    a = zarr.create_array(store=root, name="v2_missing_fill42_u1", shape=shape, chunks=chunks, dtype="|u1",
                          compressors=numcodecs.Zlib(1), zarr_format=2, fill_value=42)
    a[0:2, 0:3, 0:4] = values("|u1", shape)[0:2, 0:3, 0:4]
    record(entries, "v2_missing_fill42_u1", a, "zarr v2", "zlib, chunks missing")
    a = zarr.create_array(store=root, name="v2_missing_nan_f4", shape=shape, chunks=chunks, dtype="<f4",
                          compressors=numcodecs.Blosc("lz4", 5), zarr_format=2, fill_value=float("nan"))
    a[2:3, 3:5, 4:6] = values("<f4", shape)[2:3, 3:5, 4:6]
    record(entries, "v2_missing_nan_f4", a, "zarr v2", "blosc, NaN fill, chunks missing")
    a = zarr.create_array(store=root, name="v2_channels_f4", shape=(2,) + shape, chunks=(2,) + chunks, dtype="<f4",
                          compressors=numcodecs.Zstd(1), zarr_format=2, fill_value=0)
    a[...] = values("<f4", (2,) + shape)
    record(entries, "v2_channels_f4", a, "zarr v2", "zstd, (c, z, y, x)")
    a = zarr.create_array(store=root, name="v2_image_u1", shape=(5, 6), chunks=(3, 4), dtype="|u1",
                          compressors=numcodecs.GZip(1), zarr_format=2, fill_value=0)
    a[...] = values("|u1", (5, 6))
    record(entries, "v2_image_u1", a, "zarr v2", "gzip, (y, x)")

    root3 = os.path.join(HERE, "zarr-python-v3.zarr")
    shutil.rmtree(root3, ignore_errors=True)
    v3 = [  # name, dtype, serializer, filters, compressors, key encoding, fill
        ("v3_zstd_u1", "uint8", BytesCodec(), [], [ZstdCodec(level=3)], {"name": "default", "separator": "/"}, 0),
        ("v3_transpose_bigendian_gzip_i2", "int16", BytesCodec(endian="big"), [TransposeCodec(order=(2, 1, 0))],
         [GzipCodec(level=5)], {"name": "default", "separator": "/"}, 0),
        ("v3_blosc_shuffle_f4", "float32", BytesCodec(), [], [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")],
         {"name": "default", "separator": "."}, 0),
        ("v3_blosc_bitshuffle_zstd_f8", "float64", BytesCodec(), [],
         [BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")], {"name": "default", "separator": "/"}, 0),
        ("v3_v2keys_raw_u2", "uint16", BytesCodec(), [], [], {"name": "v2", "separator": "."}, 0),
        ("v3_zstd_checksum_i1", "int8", BytesCodec(), [TransposeCodec(order=(1, 0, 2))], [ZstdCodec(level=1, checksum=True)],
         {"name": "default", "separator": "/"}, 0),
    ]
    for name, dtype, serializer, filters, compressors, keys, fill in v3:
        a = zarr.create_array(store=root3, name=name, shape=shape, chunks=chunks, dtype=dtype, serializer=serializer,
                              filters=filters, compressors=compressors, zarr_format=3, fill_value=fill,
                              chunk_key_encoding=keys)
        a[...] = values(dtype, shape)
        record(entries, name, a, "zarr v3", ", ".join(str(c) for c in filters + compressors))
    a = zarr.create_array(store=root3, name="v3_missing_nan_f4", shape=shape, chunks=chunks, dtype="float32",
                          compressors=[ZstdCodec(level=1)], zarr_format=3, fill_value=float("nan"))
    a[0:2, 3:5, 0:4] = values("float32", shape)[0:2, 3:5, 0:4]
    record(entries, "v3_missing_nan_f4", a, "zarr v3", "zstd, NaN fill, chunks missing")
    save("expected-zarr.json", entries)


def n5_fixtures():
    root = os.path.join(HERE, "zarr-python.n5")
    shutil.rmtree(root, ignore_errors=True)
    store = zarr.N5Store(root)
    group = zarr.group(store=store)
    entries = []
    shape, chunks = (3, 5, 6), (2, 3, 4)
    for name, dtype, compressor in [
        ("n5_raw_u1", "u1", None),
        ("n5_gzip_i2", ">i2", numcodecs.GZip(5)),
        ("n5_zlib_u2", ">u2", numcodecs.Zlib(5)),
        ("n5_gzip_f4", ">f4", numcodecs.GZip(1)),
        ("n5_blosc_f8", ">f8", numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE)),
        ("n5_raw_i1", "i1", None),
    ]:
        a = group.create_dataset(name, shape=shape, chunks=chunks, dtype=dtype, compressor=compressor)
        a[...] = values(dtype, shape)
        record(entries, name, a, "N5", str(compressor))
    a = group.create_dataset("n5_missing_u1", shape=shape, chunks=chunks, dtype="u1", compressor=numcodecs.GZip(5))
    a[2:3, 3:5, 4:6] = values("u1", shape)[2:3, 3:5, 4:6]
    record(entries, "n5_missing_u1", a, "N5", "gzip, blocks missing")
    save("expected-n5.json", entries)


if __name__ == "__main__":
    print("zarr", zarr.__version__, "numcodecs", numcodecs.__version__, "numpy", np.__version__)
    {"v3": zarr_fixtures, "n5": n5_fixtures}[sys.argv[1]]()
