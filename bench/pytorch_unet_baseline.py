"""PyTorch U-Net baseline for the accuracy comparison (issue 9).

Trains the same network as Pixelwise's `unet` preset (depth 4, base filters F → 16F, 3×3 same
convolutions without bias + batch norm + ReLU twice per level, 2×2 max pooling, 2×2 stride-2
transposed up-convolutions halving the channels, concatenation, 1×1 classifier to 2 classes)
with the same recipe as `pixelwise train` (softmax cross-entropy, Adam lr 1e-3, poly-0.9 decay
over --iterations, random 256² patches with random quarter turns and mirroring, with --elastic
Pixelwise's elastic deformation (α 4, σ 10: `--elastic`), raw x/255·2−1), for the same wall-clock
budget and thread count. The last weights are used (no model selection), as in a `pixelwise
train` run without validation images.

Two classes (default, --foreground values against the rest): it writes the foreground probability
of every test image as an 8-bit PNG (0–255), the same format `pixelwise segment --probabilities`
writes, so `pixelwise evaluate` scores both the same way.

C classes (--classes, the syntax of `pixelwise train --classes`, e.g. "membrane=0,32,64,96,128
glia=159 mitochondria=191 synapse=223 cell=255"; ignore=V… for values without error, * for every
other value): the network has C outputs and softmax cross-entropy over them; OUT/labels holds
each test image's arg-max class written as the class's first listed value (as `pixelwise segment`
writes it), for `pixelwise evaluate --classes`; with --foreground-classes NAME… OUT/segmentation
holds the summed probability of those classes as an 8-bit PNG (a two-class consolidation that
`pixelwise evaluate` scores like a two-class model).

Usage (see bench/pytorch-unet-baseline for the wrapper that makes the venv):
    python bench/pytorch_unet_baseline.py --train-images DIR --train-labels DIR \
        --test-images DIR --out DIR --minutes 20 --iterations 250 --threads 2
"""

import argparse
import csv
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Pixelwise's `unet` preset: levels 0…depth with F·2^level filters."""

    def __init__(self, base=16, depth=4, classes=2):
        super().__init__()
        widths = [base << level for level in range(depth + 1)]
        self.encoders = nn.ModuleList(block(1 if i == 0 else widths[i - 1], w) for i, w in enumerate(widths))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth))
        self.decoders = nn.ModuleList(block(2 * widths[i], widths[i]) for i in range(depth))
        self.classifier = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, encoder in enumerate(self.encoders):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = encoder(x)
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(len(self.ups))):
            x = self.decoders[i](torch.cat([skips[i], self.ups[i](x)], dim=1))
        return self.classifier(x)


IGNORE = -100  # F.cross_entropy's ignore_index


class ClassMap:
    """`pixelwise train --classes` in Python: "name=v,v… name=v …", "v v …" (one class per value),
    ignore=v… (no error), * (every unlisted value). Class k is written back as its first value."""

    def __init__(self, text):
        self.names, self.values, self.ignored, self.rest = [], [], set(), None
        for token in text.split():
            name, _, values = token.rpartition("=")
            if name == "ignore":
                self.ignored.update(int(v) for v in values.split(","))
                continue
            if values == "*":
                self.rest = len(self.names)
                self.names.append(name or "*")
                self.values.append([])
                continue
            vs = [int(v) for v in values.split(",")]
            self.names.append(name or str(vs[0]))
            self.values.append(vs)
        if len(self.names) < 2:
            raise SystemExit(f"--classes {text!r}: at least two classes needed")

    def __len__(self):
        return len(self.names)

    def targets(self, labels, where):
        """Class indices of a label image (IGNORE for ignored values); an unmapped value is an error."""
        out = np.full(labels.shape, IGNORE if self.rest is None else self.rest, np.int64)
        known = np.zeros(labels.shape, bool)
        for k, vs in enumerate(self.values):
            hit = np.isin(labels, vs)
            out[hit] = k
            known |= hit
        hit = np.isin(labels, sorted(self.ignored))
        out[hit] = IGNORE
        known |= hit
        if self.rest is None and not known.all():
            bad = sorted(set(np.unique(labels[~known]).tolist()))
            raise SystemExit(f"{where}: label values {bad} are in no class of --classes")
        return out

    def written(self, classes):
        """Arg-max classes as the label values they came from (each class's first value)."""
        lut = np.array([vs[0] if vs else 0 for vs in self.values])
        return lut[classes]

    def index(self, name):
        if name in self.names:
            return self.names.index(name)
        for k, vs in enumerate(self.values):
            if name.isdigit() and int(name) in vs:
                return k
        raise SystemExit(f"--foreground-classes: no class {name!r} in --classes ({' '.join(self.names)})")


def elastic_field(h, w, rng, alpha=4.0, sigma=10.0):
    """Pixelwise's `ElasticDeformation.field`: normal noise on a grid of step σ/2, blurred with
    σ/step there, bilinearly upsampled, scaled so the displacement's RMS is α."""
    step = max(1, int(sigma / 2))
    cw, ch = (w - 1) // step + 2, (h - 1) // step + 2
    s = sigma / step
    r = max(1, int(np.ceil(3 * s)))
    taps = np.exp(-0.5 * (np.arange(-r, r + 1) / s) ** 2)
    taps /= taps.sum()

    def blur(a):
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (r, r)
            p = np.pad(a, pad, mode="reflect")
            a = sum(t * np.take(p, np.arange(j, j + a.shape[axis]), axis=axis) for j, t in enumerate(taps))
        return a

    def smooth():
        coarse = blur(np.array([rng.gauss(0, 1) for _ in range(cw * ch)]).reshape(ch, cw))
        ys, xs = np.arange(h), np.arange(w)
        gy, fy = ys // step, (ys % step) / step
        gx, fx = xs // step, (xs % step) / step
        top = coarse[gy][:, gx] * (1 - fx) + coarse[gy][:, gx + 1] * fx
        bottom = coarse[gy + 1][:, gx] * (1 - fx) + coarse[gy + 1][:, gx + 1] * fx
        return top * (1 - fy)[:, None] + bottom * fy[:, None]

    dx, dy = smooth(), smooth()
    rms = np.sqrt(np.mean(dx * dx + dy * dy))
    scale = alpha / rms if rms > 0 else 0
    return dx * scale, dy * scale


def reflect(i, n):
    """Mirror indices into 0…n−1 without repeating the edge (−1 → 1, n → n−2)."""
    period = 2 * (n - 1)
    i = np.abs(i) % period
    return np.where(i >= n, period - i, i)


def warp(raw, labels, dx, dy):
    """Raw bilinear and labels nearest at (x + dx, y + dy), mirrored at the borders."""
    h, w = raw.shape
    sy, sx = np.arange(h)[:, None] + dy, np.arange(w)[None, :] + dx
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    fx, fy = sx - x0, sy - y0
    c0, c1, r0, r1 = reflect(x0, w), reflect(x0 + 1, w), reflect(y0, h), reflect(y0 + 1, h)
    top = raw[r0, c0] * (1 - fx) + raw[r0, c1] * fx
    bottom = raw[r1, c0] * (1 - fx) + raw[r1, c1] * fx
    nx, ny = reflect(np.round(sx).astype(int), w), reflect(np.round(sy).astype(int), h)
    return (top * (1 - fy) + bottom * fy).astype(np.float32), labels[ny, nx]


def load_folder(folder):
    names = sorted(n for n in os.listdir(folder) if not n.startswith("."))
    return names, [np.asarray(Image.open(os.path.join(folder, n)).convert("L")) for n in names]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train-images", required=True)
    p.add_argument("--train-labels", required=True)
    p.add_argument("--test-images", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--iterations", type=int, default=2000, help="poly schedule length; training also stops here (0: the iterations expected in --minutes, as pixelwise train --minutes)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--base-filters", type=int, default=16)
    p.add_argument("--patch", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--foreground", type=int, nargs="+", default=[255])
    p.add_argument("--classes", help="C classes: label values to classes, as pixelwise train --classes")
    p.add_argument("--foreground-classes", nargs="+", default=[],
                   help="with --classes: write OUT/segmentation as the summed probability of these classes (names or values)")
    p.add_argument("--elastic", action="store_true", help="Pixelwise's elastic deformation (α 4, σ 10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tta", action="store_true", help="also write OUT/segmentation-tta: the mean over the 8 rotations and flips")
    p.add_argument("--load", help="skip training: load this model.pt (written by an earlier run) and only segment")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    classes = ClassMap(a.classes) if a.classes else None
    foreground = [classes.index(n) for n in a.foreground_classes] if classes else [1]
    _, raws = load_folder(a.train_images)
    label_names, labels = load_folder(a.train_labels)
    raws = [r.astype(np.float32) / 255 * 2 - 1 for r in raws]
    if classes:
        truths = [classes.targets(l, os.path.join(a.train_labels, n)) for n, l in zip(label_names, labels)]
    else:
        truths = [np.isin(l, a.foreground).astype(np.int64) for l in labels]

    def patch_batch():
        xs, ys = [], []
        for _ in range(a.batch):
            k = rng.randrange(len(raws))
            r, t = raws[k], truths[k]
            y0, x0 = rng.randrange(r.shape[0] - a.patch + 1), rng.randrange(r.shape[1] - a.patch + 1)
            r, t = r[y0:y0 + a.patch, x0:x0 + a.patch], t[y0:y0 + a.patch, x0:x0 + a.patch]
            turns = rng.randrange(4)
            r, t = np.rot90(r, turns), np.rot90(t, turns)
            if rng.random() < 0.5:
                r, t = r[:, ::-1], t[:, ::-1]
            if rng.random() < 0.5:
                r, t = r[::-1], t[::-1]
            if a.elastic:
                r, t = warp(np.ascontiguousarray(r), np.ascontiguousarray(t), *elastic_field(a.patch, a.patch, rng))
            xs.append(r.copy())
            ys.append(t.copy())
        return torch.from_numpy(np.stack(xs))[:, None], torch.from_numpy(np.stack(ys))

    net = UNet(a.base_filters, classes=len(classes) if classes else 2)
    print(f"U-Net base {a.base_filters}, {len(classes) if classes else 2} classes: "
          f"{sum(q.numel() for q in net.parameters())} parameters, {a.threads} thread(s)", flush=True)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    os.makedirs(a.out, exist_ok=True)
    log = csv.writer(open(os.path.join(a.out, "log.csv"), "w", newline=""))
    log.writerow(["iteration", "seconds", "loss", "learning_rate"])

    if a.load:
        net.load_state_dict(torch.load(a.load))
        a.minutes = 0
    start = time.time()
    deadline = start + a.minutes * 60
    net.train()
    iteration = 0
    limit = a.iterations if a.iterations > 0 else float("inf")
    while iteration < limit and time.time() < deadline:
        if a.iterations > 0:
            total = a.iterations
        else:
            # As `pixelwise train --minutes` without --iterations: the poly schedule runs over the
            # iterations expected to fit before the deadline at the speed so far.
            spent = time.time() - start
            total = iteration + int(iteration / spent * max(deadline - time.time(), 0)) + 1 if iteration > 0 else None
        rate = a.lr * (1 - iteration / total) ** 0.9 if total else a.lr
        for group in opt.param_groups:
            group["lr"] = rate
        x, y = patch_batch()
        loss = F.cross_entropy(net(x), y, ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        opt.step()
        iteration += 1
        log.writerow([iteration, f"{time.time() - start:.3f}", f"{loss.item():.6f}", f"{rate:.6g}"])
        if iteration % 10 == 0:
            print(f"iteration {iteration}  loss {loss.item():.4f}  elapsed {time.time() - start:.0f} s", flush=True)
    print(f"trained {iteration} iterations in {time.time() - start:.0f} s", flush=True)
    if not a.load:
        torch.save(net.state_dict(), os.path.join(a.out, "model.pt"))

    net.eval()
    names, tests = load_folder(a.test_images)

    def probabilities(raw):
        """Class probabilities (C, H, W) of one image, padded (reflect) to a multiple of 16."""
        h, w = raw.shape
        x = torch.from_numpy(np.pad(raw.astype(np.float32) / 255 * 2 - 1, ((0, -h % 16), (0, -w % 16)), mode="reflect"))
        return torch.softmax(net(x[None, None]), dim=1)[0, :, :h, :w].numpy()

    def averaged(raw):
        """The mean of the 8 dihedral transforms (4 quarter turns, with and without a mirror), each undone."""
        total = None
        for mirror in (False, True):
            m = raw[:, ::-1] if mirror else raw
            for turns in range(4):
                p = np.rot90(probabilities(np.ascontiguousarray(np.rot90(m, turns))), -turns, axes=(1, 2))
                p = p[:, :, ::-1] if mirror else p
                total = p.astype(np.float64) if total is None else total + p
        return total / 8

    def save(array, folder, name):
        os.makedirs(os.path.join(a.out, folder), exist_ok=True)
        Image.fromarray(array).save(os.path.join(a.out, folder, os.path.splitext(name)[0] + ".png"))

    variants = [("", probabilities)] + ([("-tta", averaged)] if a.tta else [])
    with torch.no_grad():
        for suffix, predict in variants:
            for name, raw in zip(names, tests):
                p = predict(raw)
                if classes:
                    values = classes.written(np.argmax(p, axis=0))
                    save(values.astype(np.uint8 if values.max() < 256 else np.uint16), "labels" + suffix, name)
                if foreground:
                    save(np.round(np.clip(p[foreground].sum(axis=0), 0, 1) * 255).astype(np.uint8), "segmentation" + suffix, name)
            print(f"predictions in {a.out}/{'labels' if classes else 'segmentation'}{suffix}", flush=True)


if __name__ == "__main__":
    main()
