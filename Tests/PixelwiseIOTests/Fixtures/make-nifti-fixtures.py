# Writes the NIfTI fixtures of Tests/PixelwiseIOTests/Fixtures with nibabel (5.4.2, numpy 2.4.6):
#   python3 -m venv /tmp/nvenv && /tmp/nvenv/bin/pip install nibabel && /tmp/nvenv/bin/python make-nifti-fixtures.py
import numpy as np, nibabel as nib, struct, gzip
# 1: NIfTI-1, gzip, float data stored as int16 with the scl_slope/scl_inter nibabel chooses;
#    qform (code 1) and sform (code 2) differ; spacing 0.9 × 1.1 × 2.5 mm.
x, y, z = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
values = (x + 10 * y + 100 * z) * 3.5 - 400.0        # real-world values: −400 … 1002.5
qform = np.array([[-0.9, 0, 0, 90.0], [0, 1.1, 0, -126.5], [0, 0, 2.5, -72.25], [0, 0, 0, 1]])
sform = qform.copy(); sform[0, 1] = 0.1; sform[:3, 3] += [1, 2, 3]
img = nib.Nifti1Image(values, sform)
img.set_data_dtype(np.int16)
img.set_qform(qform, code=1)
img.set_sform(sform, code=2)
img.header.set_xyzt_units("mm", "sec")
img.header["descrip"] = b"pixelwise fixture"
nib.save(img, "nibabel-int16-scaled.nii.gz")
# 2: NIfTI-2, uncompressed float32, qform only (a 90-degree rotation about z), sform code 0.
v = (np.arange(4 * 3 * 2, dtype=np.float32).reshape(4, 3, 2, order="F") * 0.25 - 1.5)
rot = np.array([[0, -2.0, 0, 10], [1.5, 0, 0, -20], [0, 0, 3, 5], [0, 0, 0, 1]])
img2 = nib.Nifti2Image(v, rot)
img2.set_qform(rot, code=1)
img2.set_sform(None, code=0)
nib.save(img2, "nibabel-float32-v2.nii")

for f in ["nibabel-int16-scaled.nii.gz", "nibabel-float32-v2.nii"]:
    i = nib.load(f)
    raw = gzip.open(f).read() if f.endswith(".gz") else open(f, "rb").read()
    if raw[:4] == struct.pack("<i", 348):
        slope, inter = struct.unpack("<ff", raw[112:120]); q, s = struct.unpack("<hh", raw[252:256])
    else:
        slope, inter = struct.unpack("<dd", raw[176:192]); q, s = struct.unpack("<ii", raw[344:352])
    print(f, type(i).__name__, i.get_data_dtype(), i.shape, "slope/inter in file", slope, inter, "q/s codes", q, s)
    np.set_printoptions(precision=10, suppress=True)
    print("affine\n", i.affine); print("qform\n", i.get_qform())
    d = i.get_fdata()
    print("zooms", i.header.get_zooms(), "fdata[1,2,:]", d[1, 2, :], "fdata[-1,-1,-1]", d[-1, -1, -1], "fdata[0,0,0]", d[0,0,0])
