"""A PyTorch network built from a Pixelwise model file: the same graph, the same weights.

The model file (docs/model-file.md) stores the architecture as JSON — one entry per node with
its kind, configuration and input names — and the weights under /params and /buffers in
PyTorch's layouts (OIHW, transposed convolutions IOHW). `GraphModule` makes one torch module
per node and runs them in the stored (topological) order, so both frameworks compute the same
function and only the engines differ.
"""
import json

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F


def _padding(config, kernel):
    pad = config["padding"]
    if "valid" in pad:
        return [(0, 0)] * len(kernel)
    if "same" in pad:
        out = []
        for k, d in zip(kernel, config["dilation"]):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return out
    return list(zip(pad["explicit"]["low"], pad["explicit"]["high"]))


class Conv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pads = _padding(c, c["kernelSize"])
        self.conv = nn.Conv2d(c["inputChannels"], c["outputChannels"], c["kernelSize"], stride=c["stride"],
                              dilation=c["dilation"], bias=c["bias"])

    def forward(self, x):
        if all(lo == hi for lo, hi in self.pads):
            self.conv.padding = tuple(lo for lo, _ in self.pads)
            return self.conv(x)
        flat = [v for lo_hi in reversed(self.pads) for v in lo_hi]  # F.pad wants (W_lo, W_hi, H_lo, H_hi)
        return self.conv(F.pad(x, flat))


class MergeCrop(nn.Module):
    """concat_C(a, centre-crop(b))."""
    def forward(self, a, b):
        dh, dw = (b.shape[2] - a.shape[2]) // 2, (b.shape[3] - a.shape[3]) // 2
        return torch.cat([a, b[:, :, dh:dh + a.shape[2], dw:dw + a.shape[3]]], dim=1)


def make_layer(kind, c):
    if kind == "Convolution":
        return Conv(c)
    if kind == "TransposedConvolution":
        return nn.ConvTranspose2d(c["inputChannels"], c["outputChannels"], c["kernelSize"], stride=c["stride"],
                                  padding=c["padding"], output_padding=c["outputPadding"], dilation=c["dilation"], bias=c["bias"])
    if kind == "BatchNormalization":
        return nn.BatchNorm2d(c["channels"], eps=c["epsilon"], momentum=c["momentum"])
    if kind == "ReLU":
        return nn.ReLU(inplace=True)
    if kind == "LeakyReLU":
        return nn.LeakyReLU(c["negativeSlope"], inplace=True)
    if kind == "MaxPooling":
        return nn.MaxPool2d(c["kernelSize"], stride=c["stride"], dilation=c["dilation"])
    if kind == "Upsampling":
        return nn.Upsample(scale_factor=tuple(c["factor"]), mode=c["method"])
    if kind in ("MergeCrop", "Concatenation"):
        return MergeCrop()
    if kind == "Dropout":
        return nn.Dropout(c["probability"])
    raise ValueError(f"no PyTorch counterpart for layer kind {kind}")


class GraphModule(nn.Module):
    def __init__(self, path):
        super().__init__()
        with h5py.File(path, "r") as f:
            arch = json.loads(f.attrs["architecture"])
            tensors = {}
            for group in ("params", "buffers"):
                if group in f:
                    f[group].visititems(lambda n, o: tensors.__setitem__(n.replace("/", "."), torch.from_numpy(o[()]))
                                        if isinstance(o, h5py.Dataset) else None)
        self.names, self.inputs = [], []
        self.layers = nn.ModuleList()
        for node in arch["nodes"]:
            layer = make_layer(node["kind"], json.loads(node["configuration"]))
            target = layer.conv if isinstance(layer, Conv) else layer
            for key, value in target.state_dict().items():
                name = f'{node["name"]}.{key}'
                if key == "num_batches_tracked":
                    continue
                value.copy_(tensors.pop(name).reshape(value.shape))
            self.names.append(node["name"])
            self.inputs.append(node["inputs"])
            self.layers.append(layer)
        if tensors:
            raise ValueError(f"unused weights in {path}: {sorted(tensors)[:5]}")

    def forward(self, x):
        values = {"input": x}
        readers = {}
        for ins in self.inputs:
            for i in ins:
                readers[i] = readers.get(i, 0) + 1
        for name, ins, layer in zip(self.names, self.inputs, self.layers):
            args = [values[i] for i in ins]
            if isinstance(layer, (nn.ReLU, nn.LeakyReLU)) and readers.get(ins[0], 0) > 1:
                layer = type(layer)() if isinstance(layer, nn.ReLU) else nn.LeakyReLU(layer.negative_slope)  # not in place on a shared value
            values[name] = layer(*args)
            for i in ins:
                readers[i] -= 1
                if readers[i] == 0 and i != "input":
                    del values[i]
        return values[self.names[-1]]
