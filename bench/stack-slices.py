#!/usr/bin/env python3
"""Joins a folder of 8-bit grey PNG slices (sorted by name) into one uncompressed multi-page TIFF,
so that tools taking volumes as files (`pixelwise segment` with a 3-D model, `evaluate --3d`) read
the slices as a stack. numpy only.

    bench/stack-slices.py models/splits/isbi2012-test/images runs/isbi-test-raw.tif
"""
import os, struct, sys, zlib
import numpy as np

def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR": header = struct.unpack(">IIBBBBB", body)
        if kind == b"IDAT": idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour == 0 and interlace == 0, path + ": only 8-bit grey, non-interlaced PNGs"
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, width + 1)
    out = np.zeros((height, width), np.int32)
    for y in range(height):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        up = out[y - 1] if y else np.zeros(width, np.int32)
        if f == 0: row = line
        elif f == 2: row = (line + up) & 255
        else:
            row = np.zeros(width, np.int32)
            for x in range(width):
                a = row[x - 1] if x else 0
                b, c = up[x], (up[x - 1] if x else 0)
                if f == 1: p = a
                elif f == 3: p = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[x] = (line[x] + p) & 255
        out[y] = row
    return out.astype(np.uint8)

def write_tiff(pages, path):
    h, w = pages[0].shape
    out = bytearray(b"II*\x00") + struct.pack("<I", 0)
    offsets = []
    for page in pages:
        offsets.append(len(out)); out += page.tobytes()
    first_ifd = len(out); struct.pack_into("<I", out, 4, first_ifd)
    for i, start in enumerate(offsets):
        tags = [(256, 4, w), (257, 4, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, start), (277, 3, 1), (278, 4, h), (279, 4, w * h)]
        ifd = len(out)
        out += struct.pack("<H", len(tags))
        for tag, kind, value in tags: out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
        out += struct.pack("<I", 0 if i == len(offsets) - 1 else len(out) + 4)
    open(path, "wb").write(out)

if __name__ == "__main__":
    folder, target = sys.argv[1], sys.argv[2]
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".png") and not n.startswith("."))
    write_tiff([read_png(os.path.join(folder, n)) for n in names], target)
    print(f"{target}: {len(names)} slices")
