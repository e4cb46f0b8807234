#!/usr/bin/env python3
"""Reads the stores ChunkedExportTests writes (PIXELWISE_EXPORT_CHUNKED=DIR) with zarr-python and checks
every value against the formula the Swift tests use (ChunkedStoreTests.volume). zarr-python 3 checks
the zarr v2/v3 arrays and, if h5py is installed, the HDF5 dataset; zarr-python 2 checks the N5 datasets.
Usage: python check_pixelwise_stores.py DIR"""
import zarr, numpy as np, os, sys, math
root = sys.argv[1]
def expected(kind, shape, channels):
    n = channels * int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    if kind == "uint8": v = (i * 37) % 256
    elif kind == "int16": v = (i * 2999) % 65536 - 32768
    elif kind == "uint32": v = (i * 123457) % 16777216
    elif kind == "float32": v = (i.astype(np.float32) * np.float32(0.37) - np.float32(3.125))
    elif kind == "float64": v = (i.astype(np.float32) * np.float32(-1.5e-3) + np.float32(17))
    return v.astype(np.float64).reshape(((channels,) if channels > 1 else ()) + tuple(shape))
bad = 0; count = 0
if zarr.__version__.startswith("3"):
    stores = [("v2.zarr", 2), ("v3.zarr", 3)]
    for store, version in stores:
        for name in sorted(os.listdir(os.path.join(root, store))):
            p = os.path.join(root, store, name)
            if not os.path.isdir(p): continue
            a = zarr.open_array(p, mode="r", zarr_format=version)
            kind = name.split("_")[-3]
            got = np.asarray(a[...], dtype=np.float64)
            exp = expected(kind, (5, 7, 9), 2 if kind == "float32" else 1)
            count += 1
            if got.shape != exp.shape or not np.array_equal(got.astype(np.float32), exp.astype(np.float32)):
                bad += 1; print("MISMATCH", p, a.dtype, got.ravel()[:5], exp.ravel()[:5])
    # the groups open too
    g = zarr.open_group(os.path.join(root, "v3.zarr"), mode="r"); print("v3 group members", len(list(g.keys())))
    try:
        import h5py
        d = h5py.File(os.path.join(root, "out.h5"), "r")["g/vol"]
        count += 1
        print("h5py:", d.shape, "chunks", d.chunks, d.compression, d.compression_opts, d.dtype, "resolution", list(d.attrs["resolution"]))
        i = np.arange(d.size) * 2999 % 65536
        if not np.array_equal(d[...].ravel(), i): bad += 1; print("MISMATCH out.h5:/g/vol")
    except ImportError:
        pass
else:
    store = zarr.N5Store(os.path.join(root, "out.n5"))
    g = zarr.open_group(store, mode="r")
    for name in sorted(g.array_keys()):
        a = g[name]
        kind = name.split("_")[-1]
        got = np.asarray(a[...], dtype=np.float64)
        exp = expected(kind, (5, 7, 9), 1)
        count += 1
        if not np.array_equal(got.astype(np.float32), exp.astype(np.float32)):
            bad += 1; print("MISMATCH", name, a.dtype, got.ravel()[:5], exp.ravel()[:5])
print(zarr.__version__, "checked", count, "bad", bad)
