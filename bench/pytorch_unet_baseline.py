"""PyTorch U-Net baseline for the accuracy comparison (issue 9).

Trains the same network as Pixelwise's `unet` preset (depth 4, base filters F → 16F, 3×3 same
convolutions without bias + batch norm + ReLU twice per level, 2×2 max pooling, 2×2 stride-2
transposed up-convolutions halving the channels, concatenation, 1×1 classifier to 2 classes)
with the same recipe as `pixelwise train` (softmax cross-entropy, Adam lr 1e-3, poly-0.9 decay
over --iterations, random 256² patches with random quarter turns and mirroring, raw x/255·2−1),
for the same wall-clock budget and thread count. The last weights are used (no model selection),
as in a `pixelwise train` run without validation images.

It then writes the foreground probability of every test image as an 8-bit PNG (0–255), the
same format `pixelwise segment --probabilities` writes, so `pixelwise evaluate` scores both the
same way.

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
    p.add_argument("--iterations", type=int, default=2000, help="poly schedule length; training also stops here")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--base-filters", type=int, default=16)
    p.add_argument("--patch", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--foreground", type=int, nargs="+", default=[255])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tta", action="store_true", help="also write OUT/segmentation-tta: the mean over the 8 rotations and flips")
    p.add_argument("--load", help="skip training: load this model.pt (written by an earlier run) and only segment")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    _, raws = load_folder(a.train_images)
    _, labels = load_folder(a.train_labels)
    raws = [r.astype(np.float32) / 255 * 2 - 1 for r in raws]
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
            xs.append(r.copy())
            ys.append(t.copy())
        return torch.from_numpy(np.stack(xs))[:, None], torch.from_numpy(np.stack(ys))

    net = UNet(a.base_filters)
    print(f"U-Net base {a.base_filters}: {sum(q.numel() for q in net.parameters())} parameters, {a.threads} thread(s)", flush=True)
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
    while iteration < a.iterations and time.time() < deadline:
        rate = a.lr * (1 - iteration / a.iterations) ** 0.9
        for group in opt.param_groups:
            group["lr"] = rate
        x, y = patch_batch()
        loss = F.cross_entropy(net(x), y)
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

    def probability(raw):
        """Foreground probability of one image, padded (reflect) to a multiple of 16."""
        h, w = raw.shape
        x = torch.from_numpy(np.pad(raw.astype(np.float32) / 255 * 2 - 1, ((0, -h % 16), (0, -w % 16)), mode="reflect"))
        return torch.softmax(net(x[None, None]), dim=1)[0, 1, :h, :w].numpy()

    def averaged(raw):
        """The mean of the 8 dihedral transforms (4 quarter turns, with and without a mirror), each undone."""
        total = np.zeros(raw.shape, np.float64)
        for mirror in (False, True):
            m = raw[:, ::-1] if mirror else raw
            for turns in range(4):
                p = np.rot90(probability(np.ascontiguousarray(np.rot90(m, turns))), -turns)
                total += p[:, ::-1] if mirror else p
        return total / 8

    variants = [("segmentation", probability)] + ([("segmentation-tta", averaged)] if a.tta else [])
    with torch.no_grad():
        for folder, predict in variants:
            pred_dir = os.path.join(a.out, folder)
            os.makedirs(pred_dir, exist_ok=True)
            for name, raw in zip(names, tests):
                out = os.path.splitext(name)[0] + ".png"
                Image.fromarray(np.round(predict(raw) * 255).astype(np.uint8)).save(os.path.join(pred_dir, out))
            print(f"probability maps in {pred_dir}", flush=True)


if __name__ == "__main__":
    main()
