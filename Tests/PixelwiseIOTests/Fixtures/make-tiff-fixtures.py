"""Writes imagej-stack-spacing.tif: a 3-page 8-bit stack (5 wide, 4 high; value z*20 + y*5 + x) with
ImageJ's hyperstack description as tifffile writes it for imagej=True: spacing=0.05 (the slice
distance) and unit=micron in the ImageDescription, X/YResolution 250 pixels per micron (4 nm
pixels): the 4 × 4 × 50 nm voxels of serial-section EM. Run: python3 make-tiff-fixtures.py
(tifffile and numpy); the tests need no Python."""
import numpy as np, tifffile
z, y, x = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing="ij")
tifffile.imwrite("imagej-stack-spacing.tif", (z * 20 + y * 5 + x).astype(np.uint8), imagej=True,
                 resolution=(250, 250), metadata={"spacing": 0.05, "unit": "micron", "axes": "ZYX"})
