"""Synthetic data in the shapes of two seed systems' data sets (issue 18), with a known answer.

    bench/.venv/bin/python bench/make-synthetic-data.py brats OUT [--cases 6] [--size 96 96 24] [--seed 1]
    bench/.venv/bin/python bench/make-synthetic-data.py pets OUT [--images 40] [--seed 1]

brats: BraTS 2018–2021 case folders, OUT/CASE/CASE_flair|_t1|_t1ce|_t2.nii.gz (int16) and
CASE_seg.nii.gz (uint8: 0 background, 1 necrotic core, 2 oedema, 4 enhancing tumour), NIfTI-1
with a 1 mm grid and an sform/qform that places the volume as BraTS's do (x flipped). Each case:
a brain ellipsoid (zero outside, as skull-stripped scans are) and a tumour at a random place —
a necrotic core inside an enhancing rim inside oedema — seen differently by each modality as in
MRI: FLAIR and T2 bright in oedema, T1ce bright on the enhancing rim, T1 dark in the core, plus
noise and a smooth bias field. OUT-truth/CASE.nii.gz holds a copy of each case's labels (for
`pixelwise evaluate`; beside OUT, so that OUT holds only case folders).

pets: the Oxford-IIIT Pet layout, OUT/images/NAME.jpg (RGB, sizes 150–260 px, not square) and
OUT/annotations/trimaps/NAME.png (1 pet, 2 background, 3 border: a 2-pixel band on the outline,
as the real trimaps); OUT-truth/NAME.png is a copy of each trimap (for `pixelwise evaluate`). A "pet" is a blob of warm fur-like texture on a cooler textured
background; its class is defined by colour and texture, not brightness alone.

Only numpy and Pillow (bench/.venv); NIfTI is written by hand (348-byte header + data, gzip).
"""

import argparse
import gzip
import os
import struct

import numpy as np
from PIL import Image


def nifti1(path, data, dtype_code, affine):
    """Writes a NIfTI-1 .nii.gz: data indexed [z, y, x] (x fastest on disk)."""
    d, h, w = data.shape
    bitpix = {2: 8, 4: 16}[dtype_code]
    hdr = bytearray(348)
    struct.pack_into("<i", hdr, 0, 348)
    struct.pack_into("<8h", hdr, 40, 3, w, h, d, 1, 1, 1, 1)
    struct.pack_into("<hh", hdr, 70, dtype_code, bitpix)
    struct.pack_into("<8f", hdr, 76, 1.0, 1, 1, 1, 0, 0, 0, 0)  # qfac 1, pixdim 1 mm
    struct.pack_into("<f", hdr, 108, 352.0)  # vox_offset
    struct.pack_into("<ff", hdr, 112, 1.0, 0.0)  # scl_slope, scl_inter
    struct.pack_into("<b", hdr, 123, 10)  # xyzt_units: mm, s
    struct.pack_into("<hh", hdr, 252, 1, 1)  # qform_code, sform_code (scanner)
    # qform: a 180° turn about z (x and y flipped), as BraTS scans in RAS+ world space.
    struct.pack_into("<6f", hdr, 256, 0, 0, 1, affine[0][3], affine[1][3], affine[2][3])
    for row in range(3):
        struct.pack_into("<4f", hdr, 280 + 16 * row, *affine[row])
    hdr[344:348] = b"n+1\0"
    body = data.astype({2: "<u1", 4: "<i2"}[dtype_code]).tobytes()
    with gzip.open(path, "wb") as f:
        f.write(bytes(hdr) + b"\0\0\0\0" + body)


def brats(out, cases, size, rng):
    w, h, d = size
    affine = [[-1.0, 0, 0, w / 2], [0, -1.0, 0, h / 2], [0, 0, 1.0, -d / 2]]
    z, y, x = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    truth = out.rstrip("/") + "-truth"
    os.makedirs(truth, exist_ok=True)
    for k in range(cases):
        name = f"Synth_{k + 1:03d}"
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        brain = ((x - w / 2) / (0.42 * w)) ** 2 + ((y - h / 2) / (0.45 * h)) ** 2 + ((z - d / 2) / (0.48 * d)) ** 2 < 1
        cx, cy, cz = rng.uniform(0.35, 0.65) * w, rng.uniform(0.35, 0.65) * h, rng.uniform(0.4, 0.6) * d
        r = rng.uniform(0.08, 0.14) * w
        dist = np.sqrt((x - cx) ** 2 + ((y - cy) / rng.uniform(0.8, 1.2)) ** 2 + ((z - cz) * 2.0) ** 2)
        seg = np.zeros(brain.shape, np.uint8)
        seg[(dist < 2.0 * r) & brain] = 2      # oedema
        seg[(dist < r) & brain] = 4            # enhancing rim
        seg[(dist < 0.6 * r) & brain] = 1      # necrotic core
        bias = 1 + 0.1 * np.sin(x / w * 3 + k) * np.cos(y / h * 2)
        tissue = {  # mean intensity of brain, oedema, enhancing, necrotic per modality
            "flair": (300, 700, 650, 500), "t1": (500, 420, 480, 250),
            "t1ce": (500, 450, 1000, 300), "t2": (400, 900, 700, 950),
        }
        for modality, means in tissue.items():
            v = np.where(brain, means[0], 0.0)
            for label, mean in zip((2, 4, 1), means[1:]):
                v = np.where(seg == label, mean, v)
            v = np.where(brain, v * bias + rng.normal(0, 40, v.shape), 0)
            nifti1(os.path.join(folder, f"{name}_{modality}.nii.gz"), np.clip(np.round(v), 0, 32767), 4, affine)
        nifti1(os.path.join(folder, f"{name}_seg.nii.gz"), seg, 2, affine)
        nifti1(os.path.join(truth, f"{name}.nii.gz"), seg, 2, affine)
    print(f"{cases} BraTS-shaped cases of {w}×{h}×{d} in {out}")


def smooth_noise(shape, scale, rng):
    small = rng.normal(0, 1, (shape[0] // scale + 2, shape[1] // scale + 2))
    return np.asarray(Image.fromarray(small.astype(np.float32)).resize((shape[1], shape[0]), Image.BICUBIC))


def pets(out, count, rng):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    os.makedirs(os.path.join(out, "annotations", "trimaps"), exist_ok=True)
    for k in range(count):
        name = f"{['Abyssinian', 'beagle'][k % 2]}_{k + 1}"
        h, w = int(rng.integers(150, 260)), int(rng.integers(150, 260))
        y, x = np.mgrid[0:h, 0:w]
        cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
        angle = np.arctan2(y - cy, x - cx)
        radius = min(h, w) * rng.uniform(0.22, 0.32) * (1 + 0.18 * np.sin(3 * angle + rng.uniform(0, 6)) + 0.08 * np.sin(5 * angle))
        pet = np.hypot(x - cx, y - cy) < radius
        fur = smooth_noise((h, w), 3, rng)
        ground = smooth_noise((h, w), 12, rng)
        image = np.empty((h, w, 3))
        tone = rng.uniform(-20, 20)
        image[..., 0] = np.where(pet, 170 + tone + 30 * fur, 110 + 25 * ground)
        image[..., 1] = np.where(pet, 120 + tone + 25 * fur, 125 + 25 * ground)
        image[..., 2] = np.where(pet, 80 + 20 * fur, 140 + 25 * ground)
        image += rng.normal(0, 8, image.shape)
        Image.fromarray(np.clip(np.round(image), 0, 255).astype(np.uint8)).save(os.path.join(out, "images", name + ".jpg"), quality=92)
        border = np.abs(np.hypot(x - cx, y - cy) - radius) < 1.5
        trimap = np.where(border, 3, np.where(pet, 1, 2)).astype(np.uint8)
        Image.fromarray(trimap).save(os.path.join(out, "annotations", "trimaps", name + ".png"))
        os.makedirs(out.rstrip("/") + "-truth", exist_ok=True)
        Image.fromarray(trimap).save(os.path.join(out.rstrip("/") + "-truth", name + ".png"))
    print(f"{count} Oxford-Pet-shaped images in {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kind", choices=["brats", "pets"])
    p.add_argument("out")
    p.add_argument("--cases", type=int, default=6)
    p.add_argument("--size", type=int, nargs=3, default=[96, 96, 24], metavar=("W", "H", "D"))
    p.add_argument("--images", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    if a.kind == "brats":
        brats(a.out, a.cases, a.size, rng)
    else:
        pets(a.out, a.images, rng)


if __name__ == "__main__":
    main()
