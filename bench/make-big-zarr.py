#!/usr/bin/env python3
"""The issue-20 volume: ssTEM stack 1 tiled up to 64 x 4096 x 4096 uint8 (zarr v2, chunks 1x512x512,
blosc lz4). Section k of the volume is section (k mod 16) of the 16 in ../shared/data/sstem-vnc, each
1024^2 section laid out 4 x 4 with every other copy mirrored so the seams are continuous.
Needs numpy, tifffile and zarr<3 (bench/.venv). Usage: bench/make-big-zarr.py [DATA] [OUT.zarr] [SECTIONS]"""
import os, sys
import numpy as np, tifffile, zarr, numcodecs

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sstem-vnc"
out = sys.argv[2] if len(sys.argv) > 2 else "runs/big.zarr"
sections = int(sys.argv[3]) if len(sys.argv) > 3 else 64
names = sorted(n for n in os.listdir(f"{data}/raw") if n.endswith(".tif"))
z = zarr.open(f"{out}/raw", mode="w", shape=(sections, 4096, 4096), chunks=(1, 512, 512), dtype="u1",
              compressor=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1))
for k in range(sections):
    s = tifffile.imread(f"{data}/raw/{names[k % len(names)]}")
    row = np.concatenate([s, s[:, ::-1], s, s[:, ::-1]], axis=1)
    z[k] = np.concatenate([row, row[::-1], row, row[::-1]], axis=0)
print(f"{out}/raw: {sections} x 4096 x 4096")
