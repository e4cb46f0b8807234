"""Checks `pixelwise evaluate`'s measures against scikit-image (issue 22). Run through
bench/check-scores, which makes bench/.venv; not part of CI.

For each held-out set of the shipped models it binarises the probability maps at 0.5, computes
every measure a second time from scikit-image's contingency tables, entropies and labelling, and
prints pixelwise's value, the independent one and their difference. Where the definitions
coincide the two must agree to 1e-6; where they do not (scikit-image's own adapted Rand error,
and a different watershed for the thinned scores) the table says so and shows by how much.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from PIL import Image
from skimage.measure import label as connected
from skimage.metrics import adapted_rand_error, contingency_table, variation_of_information
from skimage.segmentation import watershed

TOLERANCE = 1e-6

SETS = {
    "isbi": ("models/em-membranes-isbi.h5", "models/splits/isbi2012-test", ["255"], ["--tta"]),
    "sstem": ("models/em-membranes-sstem.h5", "models/splits/sstem-test", ["191", "255"], []),
    "sstem-malis": ("models/em-membranes-sstem-malis.h5", "models/splits/sstem-test", ["191", "255"], []),
}


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return done.stdout


def images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if not f.startswith("."))


# --- the measures, from scikit-image's tables -------------------------------------------------

def with_singletons(segments, truth_foreground):
    """Prediction background inside the true foreground: one segment per pixel (the ISBI rule)."""
    s = segments.astype(np.int64)
    lonely = truth_foreground & (s == 0)
    s[lonely] = s.max() + 1 + np.arange(lonely.sum())
    return s


def pair_sums(truth_ids, segments):
    """Σc², Σ(column sums)², Σ(row sums)² of the contingency table over truth ≠ 0 (self-pairs in)."""
    table = contingency_table(truth_ids, segments, ignore_labels=[0], sparse_type="array")
    joint = float(table.data @ table.data)
    rows = np.asarray(table.sum(axis=1)).ravel()
    cols = np.asarray(table.sum(axis=0)).ravel()
    return joint, float(cols @ cols), float(rows @ rows)


def v_rand(sums):
    joint, s, t = sums
    return 2 * joint / (s + t)


def v_info(truth_ids, segments):
    """2·I / (H(S) + H(T)) over truth ≠ 0, every entropy from skimage's variation_of_information."""
    inside = (truth_ids != 0).astype(np.int64)
    h_t = variation_of_information(inside, truth_ids, ignore_labels=[0])[0]   # H(T | one segment) = H(T)
    h_s = variation_of_information(inside, segments, ignore_labels=[0])[0]
    _, h_t_given_s = variation_of_information(truth_ids, segments, ignore_labels=[0])
    mutual = h_t - h_t_given_s
    return 1.0 if h_s + h_t == 0 else 2 * mutual / (h_s + h_t)


def thinned(prediction):
    """scikit-image's watershed of the background from the foreground components, with lines."""
    markers = connected(prediction, connectivity=1)
    if markers.max() == 0:
        return np.ones(prediction.shape, np.int64)
    return watershed(prediction.astype(np.uint8) ^ 1, markers=markers, connectivity=1, watershed_line=True)


def cremi_rand(truth_ids, segments):
    """CREMI's adapted Rand error on scikit-image's contingency table (ignored truth: 0)."""
    table = contingency_table(truth_ids, segments, ignore_labels=[0], sparse_type="array").tocsc()
    n = truth_ids.size
    unassigned = float(table[:, [0]].sum()) if table.shape[1] > 0 else 0.0
    rest = table[:, 1:]
    sum_ab = float(rest.data @ rest.data) + unassigned / n
    cols = np.asarray(rest.sum(axis=0)).ravel()
    sum_b = float(cols @ cols) + unassigned / n
    rows = np.asarray(table.sum(axis=1)).ravel()
    sum_a = float(rows @ rows)
    p, r = sum_ab / sum_b, sum_ab / sum_a
    return 1 - 2 * p * r / (p + r)


# --- one held-out set ------------------------------------------------------------------------

def check_set(name, pixelwise, predictions, labels, foreground, scratch, rows):
    prediction_files, label_files = images(predictions), images(labels)
    values = [int(v) for v in foreground]
    probability = [np.asarray(Image.open(f), dtype=np.float32) / np.float32(255) for f in prediction_files]
    probability = [p if p.ndim == 2 else p[..., 0] for p in probability]
    truth = [np.isin(np.asarray(Image.open(f)), values) for f in label_files]
    if any(t.ndim != 2 for t in truth):
        truth = [t[..., 0] for t in truth]

    report = json.loads(run([pixelwise, "evaluate", "--predictions", predictions, "--labels", labels, "--foreground", *foreground,
                             "--thresholds", "0.5", "--no-warping", "--json"]))
    per_image, pooled = report["images"], report["all"]

    sums_all = np.zeros(3)
    info_all, thin_rand_all, thin_info_all = [], [], []
    for k, (p, t) in enumerate(zip(probability, truth)):
        prediction = p > np.float32(0.5)
        truth_ids = connected(t, connectivity=1)
        segments = with_singletons(connected(prediction, connectivity=1), t)
        sums = pair_sums(truth_ids, segments)
        sums_all += sums
        info = v_info(truth_ids, segments)
        info_all.append(info)
        lines = thinned(prediction)
        thin_segments = with_singletons(lines, t)
        thin_rand_all.append(v_rand(pair_sums(truth_ids, thin_segments)))
        thin_info_all.append(v_info(truth_ids, thin_segments))
        image = f"{name}/{os.path.basename(prediction_files[k])}"
        rows.append((image, "skimage adapted_rand_error", per_image[k]["rand_error"],
                     adapted_rand_error(truth_ids, segments, ignore_labels=[0])[0], "differs: no self-pairs, n(n-1) not n²"))
        rows.append((image, "Rand error (ISBI, foreground-restricted)", per_image[k]["rand_error"], 1 - v_rand(sums), "same definition"))
        rows.append((image, "V_info error (ISBI)", per_image[k]["information_error"], 1 - info, "same definition"))

    rows.append((f"{name}/all", "Rand error, pooled pair counts", pooled["rand_error"], 1 - v_rand(sums_all), "same definition"))
    rows.append((f"{name}/all", "V_info error, mean of images", pooled["information_error"], 1 - np.mean(info_all), "same definition"))
    rows.append((f"{name}/all", "thinned Rand error (mean)", pooled["thinned_rand_error"], 1 - np.mean(thin_rand_all),
                 "differs: skimage's priority-flood watershed, not Fiji's FIFO flooding"))
    rows.append((f"{name}/all", "thinned V_info error (mean)", pooled["thinned_information_error"], 1 - np.mean(thin_info_all),
                 "differs: as above"))

    # Instance measures (CREMI): 2-D per image, then the slices as one 3-D volume.
    ids_folder = os.path.join(scratch, name + "-ids")
    os.makedirs(ids_folder, exist_ok=True)
    for f, t in zip(prediction_files, truth):
        ids = connected(t, connectivity=1)
        assert ids.max() < 65536
        Image.fromarray(ids.astype(np.uint16)).save(os.path.join(ids_folder, os.path.basename(f)))
    instances = json.loads(run([pixelwise, "evaluate", "--instances", "--predictions", predictions, "--labels", ids_folder,
                                "--ignore-ids", "0", "--instance-threshold", "0.5", "--json"]))
    for row, p, t in zip(instances, probability, truth):
        gt, seg = connected(t, connectivity=1), connected(p > np.float32(0.5), connectivity=1)
        split, merge = variation_of_information(gt, seg, ignore_labels=[0])
        image = f"{name}/{row['name']}"
        rows.append((image, "VOI split (CREMI, 2-D)", row["voi_split"], split, "same definition"))
        rows.append((image, "VOI merge (CREMI, 2-D)", row["voi_merge"], merge, "same definition"))
        rows.append((image, "adapted Rand error (CREMI, 2-D)", row["adapted_rand_error"], cremi_rand(gt, seg), "same definition"))
        rows.append((image, "skimage adapted_rand_error", row["adapted_rand_error"], adapted_rand_error(gt, seg, ignore_labels=[0])[0],
                     "differs: no self-pairs; proposal 0 a segment, not unassigned"))

    gt3 = connected(np.stack(truth), connectivity=1)
    seg3 = connected(np.stack([p > np.float32(0.5) for p in probability]), connectivity=1)
    with h5py.File(os.path.join(scratch, name + "-volumes.h5"), "w") as h5:
        h5["truth"] = gt3.astype(np.uint64)
        h5["proposal"] = seg3.astype(np.uint64)
    volume = os.path.join(scratch, name + "-volumes.h5")
    row = json.loads(run([pixelwise, "evaluate", "--instances", "--predictions", volume + ":/proposal",
                          "--labels", volume + ":/truth", "--ignore-ids", "0", "--json"]))[0]
    split, merge = variation_of_information(gt3, seg3, ignore_labels=[0])
    rows.append((f"{name}/volume", "VOI split (CREMI, 3-D)", row["voi_split"], split, "same definition"))
    rows.append((f"{name}/volume", "VOI merge (CREMI, 3-D)", row["voi_merge"], merge, "same definition"))
    rows.append((f"{name}/volume", "adapted Rand error (CREMI, 3-D)", row["adapted_rand_error"], cremi_rand(gt3, seg3), "same definition"))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pixelwise", default=os.path.join(root, ".build/release/pixelwise"))
    parser.add_argument("--out", default=os.path.join(root, "runs/check-scores"),
                        help="where the probability maps are written (and reused if present)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--root", default=root,
                        help="the checkout whose models/ and models/splits/ to use (its splits link to ../shared/data)")
    args = parser.parse_args()
    args.pixelwise, args.out = os.path.abspath(args.pixelwise), os.path.abspath(args.out)
    os.chdir(args.root)

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.sets:
            model, split, foreground, flags = SETS[name]
            out = os.path.join(args.out, name)
            if not os.path.isdir(out) or not os.listdir(out):
                run([args.pixelwise, "segment", "--model", model, os.path.join(split, "images"), "--out", out, "--probabilities", *flags])
            check_set(name, args.pixelwise, out, os.path.join(split, "labels"), foreground, scratch, rows)

    failures = 0
    width = max(len(r[0]) for r in rows)
    print(f"{'where':<{width}}  {'measure':<42} {'pixelwise':>12} {'scikit-image':>12} {'|diff|':>9}  verdict")
    for where, measure, ours, theirs, note in rows:
        diff = abs(ours - theirs)
        if note == "same definition":
            verdict = "agree" if diff <= TOLERANCE else "DISAGREE"
            failures += diff > TOLERANCE
        else:
            verdict = note
        print(f"{where:<{width}}  {measure:<42} {ours:12.8f} {theirs:12.8f} {diff:9.2e}  {verdict}")
    same = sum(r[4] == "same definition" for r in rows)
    print(f"{same - failures} of {same} values with the same definition agree to {TOLERANCE:g}; "
          f"{len(rows) - same} differ by definition (see verdicts)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
