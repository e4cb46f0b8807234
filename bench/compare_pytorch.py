"""Pixelwise against PyTorch on the same networks, weights and shapes (issue 23's targets 1-3, 5, 6).

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


# Untimed runs before the timed ones, on both sides alike (--warmup).
WARMUP = 2


def pixelwise(binary, args, threads):
    out = subprocess.run([binary, "bench", "--json", "--threads", str(threads), "--warmup", str(WARMUP)] + args, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def cpu_description():
    """The CPU model and the vector/matrix extensions that decide which kernels run."""
    info = open("/proc/cpuinfo").read()
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown CPU")
    flags = set(next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), []))
    named = [f for f in ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16") if f in flags]
    return model, flags, named


def torch_times(fn, reps):
    for _ in range(WARMUP):
        fn()
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


def torch_section(model, side, slices):
    """PyTorch segmenting `slices` whole side×side sections, one forward pass each."""
    xs = [torch.rand(1, 1, side, side) for _ in range(slices)]

    def run():
        with torch.no_grad():
            for x in xs:
                model(x)
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pixelwise", default=".build/release/pixelwise")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3, help="alternations per target")
    p.add_argument("--reps", type=int, default=2, help="timed repetitions per engine per round (after warm-up)")
    p.add_argument("--quick", action="store_true", help="skip the --exact, bf16 and tiled whole-image lines (targets 1-3 and 5 only)")
    p.add_argument("--sstem-model", default="models/em-membranes-sstem.h5", help="the shipped model of target 3")
    p.add_argument("--only-3d", action="store_true", help="run only the 3-D section (unet3d inference and training)")
    p.add_argument("--side-3d", type=int, default=64, help="the 3-D section's input cube side (default 64)")
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed runs before the timed ones, on both sides (default 2: a training step's first runs are slower than its steady state)")
    a = p.parse_args()
    global WARMUP
    WARMUP = a.warmup
    torch.set_num_threads(a.threads)
    if a.only_3d:
        return unet3d_section(a)
    work = tempfile.mkdtemp(prefix="pixelwise-compare-")
    # A fresh algorithm cache: every choice is measured on this machine, in this run (not taken
    # from an earlier run on a busier or another machine).
    os.environ["PIXELWISE_CACHE_DIR"] = os.path.join(work, "cache")
    reps = ["--repetitions", str(a.reps)]
    model, flags, named = cpu_description()
    print(f"CPU: {model} ({os.cpu_count()} logical CPUs; {' '.join(named) or 'no AVX2/AVX-512/AMX'}); "
          f"PyTorch {torch.__version__}, {a.threads} threads; medians of {a.rounds}×{a.reps} alternating timed runs after {a.warmup} warm-up runs each; "
          f"Pixelwise's default path (measured algorithm choice, fresh cache in {os.environ['PIXELWISE_CACHE_DIR']})\n", flush=True)
    started = time.time()

    # Same weights for both: Pixelwise writes the model file, PyTorch loads it.
    tschopp = os.path.join(work, "tschopp-unet.h5")
    pixelwise(a.pixelwise, ["--model", "tschopp-unet", "--input", "572", "--repetitions", "1", "--save-model", tschopp,
                            "--save-tensors", os.path.join(work, "tschopp")], a.threads)
    unet = os.path.join(work, "unet64.h5")
    pixelwise(a.pixelwise, ["--model", "unet", "--base-filters", "64", "--input", "256", "--repetitions", "1", "--save-model", unet],
              a.threads)
    t_model = GraphModule(tschopp).eval()
    u_model = GraphModule(unet).eval()
    px = 388 * 388

    # 1. fp32 inference, tschopp-unet 572 → 388, default path (pixels per second).
    pw, tf, single = alternate(a.rounds, a.reps,
                               lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572"] + reps, a.threads),
                               lambda: torch_times(torch_inference(t_model, 572, 1), a.reps))
    line("1. tschopp-unet 572→388 inference, default (kpx/s)", px / pw / 1e3, px / tf / 1e3, "kpx/s", tf / pw, 3.5)
    chosen = {}
    for r in single["layers"]:
        if r.get("algorithm"):
            chosen[r["algorithm"]] = chosen.get(r["algorithm"], 0) + 1
    print(f"   seconds per tile: Pixelwise {pw:.3f}, PyTorch {tf:.3f}; convolutions by algorithm: {chosen}; "
          f"{100 * single['gflops_per_second'] / single['peak_gflops_per_second']:.0f} % of the measured fp32 peak "
          f"({single['peak_gflops_per_second']:.0f} GFLOP/s)", flush=True)
    if not a.quick:
        pwe, tfe, _ = alternate(a.rounds, a.reps,
                                lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--exact"] + reps, a.threads),
                                lambda: torch_times(torch_inference(t_model, 572, 1), a.reps))
        line("   the same with --exact (oneDNN direct) (kpx/s)", px / pwe / 1e3, px / tfe / 1e3, "kpx/s", tfe / pwe, 1.0)

    # 2. U-Net 64 + BN: inference at 512², and a training step (4×256², cross-entropy, Adam).
    pw5, tf5, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "512"] + reps, a.threads),
                            lambda: torch_times(torch_inference(u_model, 512, 1), a.reps))
    line("2a. U-Net 64 + BN 512² inference, default (s)", pw5, tf5, "s", tf5 / pw5, 3.0)
    u_train = GraphModule(unet)
    pwt, tft, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model-file", unet, "--input", "256", "--batch", "4", "--train"] + reps,
                                              a.threads),
                            lambda: torch_times(torch_training(u_train, 256, 4), a.reps))
    line("2b. U-Net 64 + BN training step 4×256², Adam, default (s)", pwt, tft, "s", tft / pwt, 2.5)

    # 3. The shipped ssTEM model segmenting whole 1024² sections (the same weights in PyTorch).
    if os.path.exists(a.sstem_model):
        s_model = GraphModule(a.sstem_model).eval()
        slices = 2
        pws, tfs, _ = alternate(a.rounds, a.reps,
                                lambda: pixelwise(a.pixelwise, ["--model-file", a.sstem_model, "--input", "1024", "--image", "1024",
                                                                "--slices", str(slices)] + reps, a.threads),
                                lambda: torch_times(torch_section(s_model, 1024, slices), a.reps))
        mpx = slices * 1024 * 1024 / 1e6
        line("3. em-membranes-sstem.h5, 1024² sections (Mpx/s)", mpx / pws, mpx / tfs, "Mpx/s", tfs / pws, 3.0)
    else:
        print(f"3. not measured: {a.sstem_model} is missing", flush=True)

    # 4. unet3d at 64³ against PyTorch's Conv3d path.
    unet3d_section(a)

    # 5. Peak RSS of one tschopp-unet inference, each in a fresh process.
    pw_rss = pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--repetitions", "1"], a.threads)["peak_rss_bytes"]
    tf_rss = torch_peak_rss(tschopp, 572)
    line("5. peak RSS, tschopp-unet 572 inference (MB; PyTorch/Pixelwise)", pw_rss / 1e6, tf_rss / 1e6, "MB", tf_rss / pw_rss, 2.0)

    # 6. bf16 inference (explicit; needs bf16 arithmetic: AVX-512-BF16 or AMX) against 1 Mpx/s.
    native_bf16 = "avx512_bf16" in flags or "amx_bf16" in flags
    if not native_bf16:
        print("6. bf16 not measured: this CPU has no bf16 arithmetic (needs AVX-512-BF16 or AMX)", flush=True)
    elif not a.quick:
        pwb, tfb, _ = alternate(a.rounds, a.reps,
                                lambda: pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--precision", "bf16"] + reps,
                                                  a.threads),
                                lambda: torch_times(torch_inference(t_model, 572, 1, bf16=True), a.reps))
        line("6. bf16 tschopp-unet inference (kpx/s; PyTorch autocast bf16)", px / pwb / 1e3, px / tfb / 1e3, "kpx/s", tfb / pwb, 1.0)
        print(f"   against the 1 Mpx/s target: {px / pwb / 1e6:.2f} Mpx/s ({'meets' if px / pwb >= 1e6 else 'SHORT of'} target)",
              flush=True)

    # Numerical agreement on the same weights and input: the default path within 1e-4 of the range.
    diff, same = agreement(t_model, os.path.join(work, "tschopp"))
    print(f"\nagreement, tschopp-unet default path against PyTorch fp32, same weights and input: max |Δ| = {diff:.2e} of max |output|, "
          f"argmax equal on {100 * same:.3f} % of pixels ({'OK' if diff < 1e-4 else 'MISMATCH'})")
    pixelwise(a.pixelwise, ["--model-file", tschopp, "--input", "572", "--repetitions", "1", "--exact",
                            "--save-tensors", os.path.join(work, "exact")], a.threads)
    diff, same = agreement(t_model, os.path.join(work, "exact"))
    print(f"agreement, tschopp-unet --exact against PyTorch fp32: max |Δ| = {diff:.2e} of max |output|, "
          f"argmax equal on {100 * same:.3f} % of pixels ({'OK' if diff < 1e-5 else 'MISMATCH'})")
    print(f"\n(compare-pytorch took {(time.time() - started) / 60:.1f} min)")


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
    line(f"4. unet3d {side}³ inference, default (s)", pw, tf, "s", tf / pw, 2.0)
    print(f"    {voxels / pw / 1e3:.0f} kvoxel/s against {voxels / tf / 1e3:.0f} kvoxel/s", flush=True)
    pwt, tft, _ = alternate(a.rounds, a.reps,
                            lambda: pixelwise(a.pixelwise, ["--model", "unet3d", "--input", str(side), "--train"] + reps, a.threads),
                            lambda: torch_times(torch_training_3d(), a.reps))
    line(f"4. unet3d training step 1×{side}³, Adam, default (s)", pwt, tft, "s", tft / pwt, 2.0)


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
