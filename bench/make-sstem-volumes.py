#!/usr/bin/env python3
"""The ssTEM-as-a-volume comparison's data (models/RESULTS.md, issue 19), from ../shared/data/sstem-vnc.

The data set holds 16 of stack 1's 20 sections (02, 07, 12, 17 are missing), so the volumes are
its contiguous pieces: train3d/{images,labels}/03-06.tif and 08-11.tif (4 x 1024 x 1024 each),
the same 8 sections as links in train2d/{images,labels} for the 2-D network, and the held-out
sections 14-16 as test/raw-14-16.tif and test/labels-14-16.tif. Stacks carry ImageJ's spacing
(4 x 4 x 50 nm: spacing=0.05, unit=micron, 250 pixels per micron). Needs numpy and tifffile
(bench/.venv). Usage: bench/make-sstem-volumes.py [DATA] [OUT]   (defaults ../shared/data/sstem-vnc, runs/sstem-vol)
"""
import importlib.util, os, sys
import numpy as np, tifffile

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sstem-vnc"
out = sys.argv[2] if len(sys.argv) > 2 else "runs/sstem-vol"

# The PNG reader of bench/stack-slices.py (a file name with a hyphen: loaded by path).
_spec = importlib.util.spec_from_file_location("stack_slices", os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack-slices.py"))
stack_slices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stack_slices)
read_png = stack_slices.read_png

def write(path, sections):
    tifffile.imwrite(path, np.stack(sections).astype(np.uint8), imagej=True, resolution=(250, 250),
                     metadata={"spacing": 0.05, "unit": "micron", "axes": "ZYX"})

raw = lambda s: tifffile.imread(f"{data}/raw/{s:02d}.tif")
labels = lambda s: read_png(f"{data}/labels/{s:02d}.png")
for folder in ["train3d/images", "train3d/labels", "train2d/images", "train2d/labels", "test"]:
    os.makedirs(f"{out}/{folder}", exist_ok=True)
for name, sections in [("03-06", [3, 4, 5, 6]), ("08-11", [8, 9, 10, 11])]:
    write(f"{out}/train3d/images/{name}.tif", [raw(s) for s in sections])
    write(f"{out}/train3d/labels/{name}.tif", [labels(s) for s in sections])
    for s in sections:
        for kind, source, ext in [("images", "raw", "tif"), ("labels", "labels", "png")]:
            link = f"{out}/train2d/{kind}/{s:02d}.{ext}"
            if not os.path.lexists(link): os.symlink(os.path.abspath(f"{data}/{source}/{s:02d}.{ext}"), link)
write(f"{out}/test/raw-14-16.tif", [raw(s) for s in [14, 15, 16]])
write(f"{out}/test/labels-14-16.tif", [labels(s) for s in [14, 15, 16]])
print("wrote", out)
