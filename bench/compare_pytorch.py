"""Pixelwise against PyTorch on the same networks, weights and shapes (issue 8's targets).

Run through `bench/compare-pytorch`, which makes the virtual environment. For every target the
two engines take turns (Pixelwise process, PyTorch, Pixelwise, …) so that both see the same
machine load; each figure is the median of all timed repetitions after warm-up. Prints one line
per target with both figures and the ratio, then checks that both engines compute the same
outputs from the same model file.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_graph import GraphModule  # noqa: E402


def pixelwise(binary, args, threads):
    out = subprocess.run([binary, "bench", "--json", "--threads", str(threads)] + args, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def torch_times(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def torch_inference(model, size, batch, bf16=False):
    x = torch.rand(batch, 1, size, size)

    def run():
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            model(x)
    return run


def torch_training(model, size, batch, classes=2):
    x = torch.rand(batch, 1, size, size)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    with torch.no_grad():
        out = model(x).shape
    labels = torch.arange(out[0] * out[2] * out[3]).reshape(out[0], out[2], out[3]) % classes

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
    return run


def torch_peak_rss(model_file, size):
    """Peak RSS of a fresh Python process that loads the model and runs one inference."""
    code = (f"import sys, resource, torch; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r});"
            f"from torch_graph import GraphModule; torch.set_num_threads(2); m = GraphModule({model_file!r}).eval();"
            f"x = torch.rand(1, 1, {size}, {size});"
            f"exec('with torch.no_grad(): m(x)');"
            f"print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)")
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip())


def alternate(rounds, reps, pw, tf):
    """Alternates Pixelwise (a fresh process, `reps` timed runs) and PyTorch (`reps` timed runs)."""
    pw_times, tf_times, last = [], [], None
    for _ in range(rounds):
        last = pw()
        pw_times += last["seconds_all"]
        tf_times += tf()
    return statistics.median(pw_times), statistics.median(tf_times), last


def line(name, pw, tf, unit, ratio, target):
    ok = "meets" if ratio >= target else "SHORT of"
    print(f"{name:<58} Pixelwise {pw:>10.3f} {unit:<6} PyTorch {tf:>10.3f} {unit:<6} ratio {ratio:5.2f}× ({ok} ≥ {target}×)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pixelwise", default=".build/release/pixelwise")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3, help="alternations per target")
    p.add_argument("--reps", type=int, default=2, help="timed repetitions per engine per round (after warm-up)")
    p.add_argument("--quick", action="store_true", help="skip the tiled 4096² and 30-slice stack runs")
    p.add_argument("--only-3d", action="store_true", help="run only the 3-D section (unet3d inference and training)")
    p.add_argument("--side-3d", type=int, default=64, help="the 3-D section's input cube side (default 64)")
    a = p.parse_args()
    if a.only_3d:
        torch.set_num_threads(a.threads)
        return unet3d_section(a)
    torch.set_num_threads(a.threads)
    work = tempfile.mkdtemp(prefix="pixelwise-compare-")
    reps = ["--repetitions", str(a.reps)]
    print(f"PyTorch {torch.__version__}, {a.threads} threads; medians of {a.rounds}×{a.reps} alternating timed runs\n")

    # Same weights for both: Pixelwise writes the model file, PyTorch loads it.
    tschopp = os.path.join(work, "tschopp-unet.h5")
    pixelwise(a.pixelwise, ["--model", "tschopp-unet", "--input", "572", "--repetitions", "1", "--save-model", tschopp,
                            "--save-tensors", os.path.join(work, "tschopp")], a.threads)
    unet = os.path.join(work, "unet64.h5")
    pixelwise(a.pixelwise, ["--model", "unet", "--base-filters", "64", "--input", "256", "--repetitions", "1", "--save-model", unet],
              a.threads)
    t_model = GraphModule(tschopp).eval()
    u_model = GraphModule(unet).eval()

    # 1. fp32 inference, tschopp-unet 572 → 388 (pixels per second).
    pw, tf, single = alternate(a.rounds, a.reps,
                               lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572"] + reps, a.threads),
                               lambda: torch_times(torch_inference(t_model, 572, 1), a.reps))
    px = 388 * 388
    line("1. fp32 inference tschopp-unet 572→388 (kpx/s)", px / pw / 1e3, px / tf / 1e3, "kpx/s", tf / pw, 1.5)
    print(f"   seconds per tile: Pixelwise {pw:.3f}, PyTorch {tf:.3f}")

    pw5, tf5, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "512"] + reps, a.threads),
                            lambda: torch_times(torch_inference(u_model, 512, 1), a.reps))
    line("   fp32 inference same-padding U-Net 64 + BN, 512² (s)", pw5, tf5, "s", tf5 / pw5, 1.0)

    # 2. fp32 training step: same-padding U-Net 64 + BN, batch 4 of 256², cross-entropy, Adam.
    u_train = GraphModule(unet)
    pwt, tft, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "256", "--batch", "4", "--train"] + reps,
                                              a.threads),
                            lambda: torch_times(torch_training(u_train, 256, 4), a.reps))
    line("2. fp32 training step U-Net 64 + BN, 4×256², Adam (s)", pwt, tft, "s", tft / pwt, 1.3)
    pwtw, tftw, _ = alternate(a.rounds, a.reps,
                              lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "256", "--batch", "4", "--train",
                                                              "--winograd"] + reps, a.threads),
                              lambda: torch_times(torch_training(u_train, 256, 4), a.reps))
    line("2w. the same step with --winograd (fp32, all three passes by Winograd) (s)", pwtw, tftw, "s", tftw / pwtw, 1.3)

    # bf16 targets need bf16 arithmetic (AVX-512-BF16 or AMX); on other CPUs (e.g. AVX2 only)
    # oneDNN has no bf16 convolution and Pixelwise runs such requests in fp32.
    flags = open("/proc/cpuinfo").read().split()
    native_bf16 = "avx512_bf16" in flags or "amx_bf16" in flags
    if not native_bf16:
        print("2b./4. bf16 targets not measured: this CPU has no bf16 arithmetic (needs AVX-512-BF16 or AMX)", flush=True)

    # 2b. bf16 mixed-precision training step against PyTorch's fp32 step.
    if native_bf16:
      pwb16, tft2, _ = alternate(a.rounds, a.reps,
                               lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "256", "--batch", "4", "--train",
                                                               "--precision", "bf16"] + reps, a.threads),
                               lambda: torch_times(torch_training(u_train, 256, 4), a.reps))
      line("2b. bf16 mixed-precision training step (PyTorch fp32) (s)", pwb16, tft2, "s", tft2 / pwb16, 3.0)

    # 3. Peak RSS of one tschopp-unet inference, each in a fresh process.
    pw_rss = pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--repetitions", "1"], a.threads)["peak_rss_bytes"]
    tf_rss = torch_peak_rss(tschopp, 572)
    line("3. peak RSS, tschopp-unet 572 inference (MB; ratio PyTorch/Pixelwise)", pw_rss / 1e6, tf_rss / 1e6, "MB", tf_rss / pw_rss, 2.0)

    # 4. Fast mode: bf16 inference against 1 Mpx/s (PyTorch's bf16 autocast for reference).
    if native_bf16:
        pwb, tfb, bf = alternate(a.rounds, a.reps,
                                 lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--precision", "bf16"] + reps,
                                                   a.threads),
                                 lambda: torch_times(torch_inference(t_model, 572, 1, bf16=True), a.reps))
        line("4. bf16 inference tschopp-unet (kpx/s; PyTorch autocast bf16)", px / pwb / 1e3, px / tfb / 1e3, "kpx/s", tfb / pwb, 1.0)
        print(f"   against the 1 Mpx/s target: {px / pwb / 1e6:.2f} Mpx/s ({'meets' if px / pwb >= 1e6 else 'SHORT of'} target)")

    # 4. Fast mode on any CPU: Winograd F(4×4, 3×3) for the 3×3 convolutions (fp32 arithmetic),
    # against PyTorch's fp32 inference and the 1 Mpx/s target.
    pww, tfw, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--winograd"] + reps, a.threads),
                            lambda: torch_times(torch_inference(t_model, 572, 1), a.reps))
    line("4. Winograd fast mode, tschopp-unet fp32 (kpx/s; PyTorch fp32)", px / pww / 1e3, px / tfw / 1e3, "kpx/s", tfw / pww, 1.5)
    print(f"   against the 1 Mpx/s target: {px / pww / 1e6:.2f} Mpx/s ({'meets' if px / pww >= 1e6 else 'SHORT of'} target)")

    # 5. Whole images in tiles: throughput against the single tile, and memory.
    if not a.quick:
        for label, args in (("4096² image", ["--image", "4096"]), ("30-slice 512² stack", ["--image", "512", "--slices", "30"])):
            r = pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--repetitions", "2"] + args, a.threads)
            ratio = r["pixels_per_second"] / r["single_tile_pixels_per_second"]  # timed alternately in one process
            print(f"5. tiled {label:<20} {r['pixels_per_second'] / 1e3:8.1f} kpx/s = {ratio:4.2f}× the single tile "
                  f"({r['single_tile_pixels_per_second'] / 1e3:.1f} kpx/s; tiles {r['input']}² → {r['output']}², "
                  f"{r['tiles_per_slice']} per slice) "
                  f"({'meets' if ratio >= 0.9 else 'SHORT of'} ≥ 0.9×), peak RSS {r['tiled_peak_rss_bytes'] / 1e6:.0f} MB "
                  f"(single tile {pw_rss / 1e6:.0f} MB)", flush=True)

    # Numerical agreement on the same weights and input.
    diff, same = agreement(t_model, os.path.join(work, "tschopp"))
    print(f"\nagreement, tschopp-unet fp32, same weights and input: max |Δ| = {diff:.2e} of max |output|, "
          f"argmax equal on {100 * same:.3f} % of pixels ({'OK' if diff < 1e-4 else 'MISMATCH'})")
    pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--repetitions", "1", "--winograd",
                            "--save-tensors", os.path.join(work, "winograd")], a.threads)
    diff, same = agreement(t_model, os.path.join(work, "winograd"))
    print(f"agreement, tschopp-unet --winograd against PyTorch fp32: max |Δ| = {diff:.2e} of max |output|, "
          f"argmax equal on {100 * same:.3f} % of pixels")
    unet3d_section(a)


class UNet3d(torch.nn.Module):
    """The `unet3d` preset's shapes in PyTorch (Conv3d): depth 3, 16→128 filters, 3×3×3 same
    convolutions without bias + BatchNorm3d + ReLU twice per level, 2×2×2 max pooling, 2×2×2
    transposed convolutions halving the channels, concatenated skips, a 1×1×1 classifier."""

    def __init__(self, base=16, depth=3, classes=2):
        super().__init__()
        nn = torch.nn
        widths = [base << level for level in range(depth + 1)]

        def block(cin, cout):
            return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
                                 nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))
        self.encoders = nn.ModuleList([block(1 if i == 0 else widths[i - 1], widths[i]) for i in range(depth + 1)])
        self.ups = nn.ModuleList([nn.ConvTranspose3d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth)])
        self.decoders = nn.ModuleList([block(2 * widths[i], widths[i]) for i in range(depth)])
        self.classifier = nn.Conv3d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, encoder in enumerate(self.encoders):
            if i > 0:
                x = F.max_pool3d(x, 2)
            x = encoder(x)
            skips.append(x)
        for i in reversed(range(len(self.ups))):
            x = self.decoders[i](torch.cat([self.ups[i](x), skips[i]], 1))
        return self.classifier(x)


def unet3d_section(a):
    """3-D: `unet3d` inference and a training step (cross-entropy, Adam) on one side³ volume,
    beside PyTorch's Conv3d network of the same shapes (its own random weights: the section
    compares speed, not values), alternating runs, medians."""
    side = a.side_3d
    reps = ["--repetitions", str(a.reps)]
    print(f"\n3-D: unet3d (depth 3, 16→128 filters, batch norm), one {side}³ volume; PyTorch Conv3d of the same shapes", flush=True)
    model = UNet3d().eval()

    def torch_inference_3d():
        x = torch.rand(1, 1, side, side, side)

        def run():
            with torch.no_grad():
                model(x)
        return run

    def torch_training_3d():
        net = UNet3d().train()
        x = torch.rand(1, 1, side, side, side)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
        labels = torch.arange(side ** 3).reshape(1, side, side, side) % 2

        def run():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), labels).backward()
            optimizer.step()
        return run

    voxels = side ** 3
    pw, tf, _ = alternate(a.rounds, a.reps,
                          lambda: pixelwise(a.pixelwise, ["--model", "unet3d", "--input", str(side)] + reps, a.threads),
                          lambda: torch_times(torch_inference_3d(), a.reps))
    line(f"3d. fp32 inference unet3d {side}³ (s)", pw, tf, "s", tf / pw, 1.0)
    print(f"    {voxels / pw / 1e3:.0f} kvoxel/s against {voxels / tf / 1e3:.0f} kvoxel/s", flush=True)
    pwt, tft, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model", "unet3d", "--input", str(side), "--train"] + reps, a.threads),
                            lambda: torch_times(torch_training_3d(), a.reps))
    line(f"3d. fp32 training step unet3d 1×{side}³, Adam (s)", pwt, tft, "s", tft / pwt, 1.0)


def agreement(model, folder):
    """PyTorch's output for the input Pixelwise saved in `folder` (bench --save-tensors) against
    Pixelwise's output there: (max |Δ| relative to max |output|, fraction of equal argmax)."""
    x = np.fromfile(os.path.join(folder, "input.f32"), dtype="<f4").reshape(1, 1, 572, 572)
    y = np.fromfile(os.path.join(folder, "output.f32"), dtype="<f4").reshape(1, 2, 388, 388)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    return np.abs(ref - y).max() / np.abs(ref).max(), (ref.argmax(1) == y.argmax(1)).mean()

if __name__ == "__main__":
    main()
