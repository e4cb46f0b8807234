#!/usr/bin/env python3
"""Writes isbi-train00-crop128.bin: a 128x128 crop of ISBI 2012 train-00 (image, then label).

Layout: 16384 bytes of 8-bit grey image, row-major, then 16384 bytes of label (255 = cell
interior, 0 = membrane), both cropped at rows/columns 192..319. Only the standard library is
used, so the PNG decoder below handles exactly what these files are: 8-bit greyscale,
non-interlaced.

Usage: python3 make_isbi_crop.py /work/shared/data/isbi2012
"""
import struct
import sys
import zlib

TOP, LEFT, SIZE = 192, 192, 128


def read_grey_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour == 0 and interlace == 0, "only 8-bit grey, non-interlaced"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(width)
    for y in range(height):
        f = raw[y * (width + 1)]
        line = bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):
            a = line[x - 1] if x > 0 else 0
            b = prev[x]
            c = prev[x - 1] if x > 0 else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows


def crop(rows):
    return b"".join(r[LEFT:LEFT + SIZE] for r in rows[TOP:TOP + SIZE])


root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/isbi2012"
image = crop(read_grey_png(f"{root}/images/train-00.png"))
label = crop(read_grey_png(f"{root}/labels/train-00.png"))
open("isbi-train00-crop128.bin", "wb").write(image + label)
print("image mean", sum(image) / len(image), "foreground", sum(1 for v in label if v > 127) / len(label))
