#!/usr/bin/python3
"""Writes the ONNX fixtures of tests/data/onnx/ and PyTorch's outputs on fixed inputs.

Run with Debian's Python, which sees Debian's python3-torch (1.13) and python3-onnx (1.12):

    /usr/bin/python3 scripts/make_onnx_fixtures.py

The inputs are 100 MNIST digits of .deps/datasets/mnist/images.idx (the bootstrap puts them
there; the file is sorted by digit), rows 0, 100, 200, ..., pixels / 255 in float32 exactly as
`qlab --data mnist --normalize none` reads them. Training uses the rows whose index is not a
multiple of 10; rows 0, 10, 20, ... (1,000 digits, 100 per class) stay unseen for the tests.
Each fixture NAME.onnx gets NAME.torch.csv: one line per digit, the model's outputs before any
final Softmax/LogSoftmax, %.9g. The committed files let CI check qlab against PyTorch without
PyTorch. Weights come from a short training run (or a fixed seed), so the files are small.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "onnx")
ROWS = 100
STRIDE = 100  # the fixture inputs: rows 0, 100, ..., 9900


def mnist():
    path = os.path.join(ROOT, ".deps", "datasets", "mnist")
    with open(os.path.join(path, "images.idx"), "rb") as f:
        magic, n, h, w = struct.unpack(">IIII", f.read(16))
        assert magic == 2051
        images = np.frombuffer(f.read(n * h * w), dtype=np.uint8).reshape(n, h * w)
    with open(os.path.join(path, "labels.idx"), "rb") as f:
        magic, n2 = struct.unpack(">II", f.read(8))
        labels = np.frombuffer(f.read(n2), dtype=np.uint8)
    # float32 division, as the C++ loader does (images[i] / 255.0f)
    x = images.astype(np.float32) / np.float32(255)
    return x, labels.astype(np.int64)


def train(model, x, y, epochs, shape, lr=0.05):
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    seen = np.arange(len(y)) % 10 != 0  # rows 0, 10, 20, ... stay unseen
    xs = torch.from_numpy(x[seen]).reshape(-1, *shape)
    ys = torch.from_numpy(y[seen])
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(xs.shape[0])
        for i in range(0, xs.shape[0], 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
    model.eval()


def write_outputs(name, outputs):
    with open(os.path.join(OUT, name + ".torch.csv"), "w") as f:
        for row in outputs:
            f.write(",".join("%.9g" % v for v in row) + "\n")


def export(name, model, shape, opset, x, preserve=False):
    path = os.path.join(OUT, name + ".onnx")
    dummy = torch.from_numpy(x[:2]).reshape(-1, *shape)
    kwargs = {}
    if preserve:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
        kwargs["do_constant_folding"] = False
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=["input"],
                      output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **kwargs)
    return path


# ---- the models ---------------------------------------------------------------------------


class MlpRelu(nn.Module):  # 784-128-10, ReLU
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class MlpHardSigmoid(nn.Module):  # Sakr §4.1: ReLU clipped to [0, 2] (exports as Clip 0..2)
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 96)
        self.fc2 = nn.Linear(96, 64)
        self.fc3 = nn.Linear(64, 10)
        self.drop = nn.Dropout(0.15)

    def forward(self, x):
        x = self.drop(F.hardtanh(self.fc1(x), 0.0, 2.0))
        x = self.drop(F.hardtanh(self.fc2(x), 0.0, 2.0))
        return self.fc3(x)


class LeNetBn(nn.Module):
    """LeNet-style: padding, BatchNorm, max-pool, a strided conv, an average pool with padding
    (torch exports it as Pad + AveragePool), and a LogSoftmax at the end."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)          # 28 -> 28
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 3, stride=2, padding=1)  # 14 -> 7
        self.bn2 = nn.BatchNorm2d(16)
        self.pool2 = nn.AvgPool2d(2, stride=2, padding=1)   # 7 -> 4 (count_include_pad=True)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


class CnnGap(nn.Module):
    """The other ops torch writes: dilation, LeakyReLU, HardSigmoid, ReLU6 (Clip 0..6),
    GlobalAveragePool, Sigmoid, Tanh and a Softmax at the end."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=2, dilation=2)  # 28 -> 28
        self.conv2 = nn.Conv2d(8, 12, 3, stride=2)              # 28 -> 13
        self.conv3 = nn.Conv2d(12, 16, 3, padding=1)            # 13 -> 13
        self.fc1 = nn.Linear(16, 24)
        self.fc2 = nn.Linear(24, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.1)
        x = F.max_pool2d(x, 3, stride=1, padding=1)
        x = F.hardsigmoid(self.conv2(x))
        x = F.relu6(self.conv3(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        x = torch.sigmoid(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return F.softmax(self.fc3(x), dim=1)


def before_softmax(model, inputs):
    """The scores before the final (log-)softmax: the lab reports those."""
    captured = {}

    def hook(_, __, out):
        captured["z"] = out

    h = model.fc2.register_forward_hook(hook) if isinstance(model, LeNetBn) else \
        model.fc3.register_forward_hook(hook)
    with torch.no_grad():
        model(inputs)
    h.remove()
    return captured["z"].numpy()


# ---- QDQ int8, written with the onnx helper (python3-onnx 1.12 knows int8/uint8 by name) ---


def quantize_per_channel(w):
    scale = np.abs(w).max(axis=1) / np.float32(127)
    scale = scale.astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def qdq_int8(mlp, x):
    """MLP 784-128-10 of mlp_relu with int8 per-channel weights, a uint8 input and uint8 hidden
    activations: QuantizeLinear/DequantizeLinear as onnxruntime's tools write them (opset 13)."""
    w1 = mlp.fc1.weight.detach().numpy()
    b1 = mlp.fc1.bias.detach().numpy()
    w2 = mlp.fc2.weight.detach().numpy()
    b2 = mlp.fc2.bias.detach().numpy()
    q1, s1 = quantize_per_channel(w1)
    q2, s2 = quantize_per_channel(w2)
    s_in = np.float32(1 / 255)
    with torch.no_grad():
        h = F.relu(torch.from_numpy(x[1::5][:2000]) @ torch.from_numpy(w1).T +
                   torch.from_numpy(b1))
    s_act = np.float32(h.max().item() / 255)
    inits = [
        numpy_helper.from_array(q1, "w1_q"), numpy_helper.from_array(s1, "w1_scale"),
        numpy_helper.from_array(np.zeros(128, np.int8), "w1_zero"),
        numpy_helper.from_array(b1, "b1"),
        numpy_helper.from_array(q2, "w2_q"), numpy_helper.from_array(s2, "w2_scale"),
        numpy_helper.from_array(np.zeros(10, np.int8), "w2_zero"),
        numpy_helper.from_array(b2, "b2"),
        numpy_helper.from_array(np.array(s_in, np.float32), "in_scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "in_zero"),
        numpy_helper.from_array(np.array(s_act, np.float32), "act_scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "act_zero"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "in_scale", "in_zero"], ["in_q"], "in_q"),
        helper.make_node("DequantizeLinear", ["in_q", "in_scale", "in_zero"], ["in_dq"], "in_dq"),
        helper.make_node("DequantizeLinear", ["w1_q", "w1_scale", "w1_zero"], ["w1"], "w1_dq",
                         axis=0),
        helper.make_node("Gemm", ["in_dq", "w1", "b1"], ["h1"], "fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["r1"], "relu1"),
        helper.make_node("QuantizeLinear", ["r1", "act_scale", "act_zero"], ["r1_q"], "r1_q"),
        helper.make_node("DequantizeLinear", ["r1_q", "act_scale", "act_zero"], ["r1_dq"], "r1_dq"),
        helper.make_node("DequantizeLinear", ["w2_q", "w2_scale", "w2_zero"], ["w2"], "w2_dq",
                         axis=0),
        helper.make_node("Gemm", ["r1_dq", "w2", "b2"], ["output"], "fc2", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "qdq_int8",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_onnx_fixtures")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, "qdq_int8.onnx"))

    # PyTorch's outputs of the same arithmetic: x / scale in float32, round half to even, clamp,
    # (q - zero) * scale in float32, as QuantizeLinear/DequantizeLinear define it.
    def qdq(t, scale, lo, hi):
        return torch.clamp(torch.round(t / scale), lo, hi) * scale

    with torch.no_grad():
        t = qdq(torch.from_numpy(x[::STRIDE][:ROWS]), torch.tensor(s_in), 0, 255)
        w1d = torch.from_numpy(q1.astype(np.float32)) * torch.from_numpy(s1)[:, None]
        w2d = torch.from_numpy(q2.astype(np.float32)) * torch.from_numpy(s2)[:, None]
        h = F.relu(t @ w1d.T + torch.from_numpy(b1))
        h = qdq(h, torch.tensor(s_act), 0, 255)
        out = h @ w2d.T + torch.from_numpy(b2)
    write_outputs("qdq_int8", out.numpy())


# ---- ops torch does not write at opsets 9-13 as such, with the onnx helper (opset 9) --------


def ops_opset9(x):
    """MatMul + Add, Constant, Reshape with a constant shape, Unsqueeze/Squeeze with attribute
    axes (opset < 13), Clip with attributes (opset < 11), Dropout and Identity (dropped), a
    Sigmoid and a final Softmax, at opset 9: the opset-dependent attribute forms."""
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((784, 32)) * 0.05).astype(np.float32)  # MatMul's B: in x out
    b1 = (rng.standard_normal(32) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((32, 10)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
             numpy_helper.from_array(b2, "b2")]
    nodes = [
        helper.make_node("Constant", [], ["b1"], "bias1",
                         value=numpy_helper.from_array(b1, "b1_value")),
        helper.make_node("Constant", [], ["shape"], "shape",
                         value=numpy_helper.from_array(np.array([-1, 784], np.int64), "s")),
        helper.make_node("Reshape", ["input", "shape"], ["flat"], "reshape"),
        helper.make_node("Identity", ["flat"], ["flat2"], "identity"),
        helper.make_node("MatMul", ["flat2", "w1"], ["mm1"], "matmul1"),
        helper.make_node("Add", ["mm1", "b1"], ["h1"], "add1"),
        helper.make_node("Clip", ["h1"], ["c1"], "clip1", min=-1.0, max=1.5),
        helper.make_node("Dropout", ["c1"], ["d1"], "dropout1", ratio=0.3),
        helper.make_node("Unsqueeze", ["d1"], ["u1"], "unsqueeze", axes=[2, 3]),
        helper.make_node("Squeeze", ["u1"], ["s1"], "squeeze", axes=[2, 3]),
        helper.make_node("Gemm", ["s1", "w2", "b2"], ["z"], "gemm2"),
        helper.make_node("Sigmoid", ["z"], ["sig"], "sigmoid"),
        helper.make_node("Softmax", ["sig"], ["output"], "softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "ops_opset9",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)],
                              producer_name="make_onnx_fixtures")
    model.ir_version = 4
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, "ops_opset9.onnx"))
    with torch.no_grad():
        t = torch.from_numpy(x[::STRIDE][:ROWS])
        h = torch.clamp(t @ torch.from_numpy(w1) + torch.from_numpy(b1), -1.0, 1.5)
        z = torch.sigmoid(h @ torch.from_numpy(w2) + torch.from_numpy(b2))
    write_outputs("ops_opset9", z.numpy())


# ---- the corpus of bad files: each must give one clear message -----------------------------

BAD = os.path.join(ROOT, "tests", "data", "onnx_bad")


def small_graph(nodes, inits, inputs=None, outputs=None, opset=13, ir=7, name="bad"):
    inputs = inputs or [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])]
    outputs = outputs or [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])]
    model = helper.make_model(helper.make_graph(nodes, name, inputs, outputs, inits),
                              opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="make_onnx_fixtures")
    model.ir_version = ir
    return model


def w(name, shape, seed=1):
    return numpy_helper.from_array(
        (np.random.default_rng(seed).standard_normal(shape) * 0.3).astype(np.float32), name)


def gemm(inp, out, wname, bname, name="fc"):
    return helper.make_node("Gemm", [inp, wname, bname], [out], name, transB=1)


def bad_corpus(mlp_bytes):
    """Writes tests/data/onnx_bad/*.onnx and manifest.json: file, the message it must give."""
    os.makedirs(BAD, exist_ok=True)
    cases = []

    def save(name, model, message, what):
        path = os.path.join(BAD, name + ".onnx")
        if isinstance(model, bytes):
            with open(path, "wb") as f:
                f.write(model)
        else:
            onnx.save(model, path)
        cases.append({"file": name + ".onnx", "message": message, "what": what})

    fc = [w("fc.weight", (3, 4)), w("fc.bias", (3,), 2)]
    save("not_onnx", b'{"format":"quantlab-model","version":1}\n',
         "not an ONNX model, or a truncated one", "a JSON file named .onnx")
    save("truncated", mlp_bytes[: len(mlp_bytes) // 2], "not an ONNX model, or a truncated one",
         "the MLP fixture cut in half")
    save("empty", b"", "the file is empty", "zero bytes")
    save("unsupported_op",
         small_graph([gemm("input", "h", "fc.weight", "fc.bias"),
                      helper.make_node("Erf", ["h"], ["output"], "erf1")], fc),
         "node 1 (Erf 'erf1'): op Erf is not supported; supported: Gemm, MatMul",
         "an op the lab has no layer for")
    conv_in = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 8, 8])]
    conv_out = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4, 6, 6])]
    save("conv_group",
         small_graph([helper.make_node("Conv", ["input", "k"], ["output"], "conv1", group=2)],
                     [w("k", (4, 1, 3, 3))], conv_in, conv_out),
         "node 0 (Conv 'conv1'): group 2 is not supported", "a grouped convolution")
    save("conv_rect_kernel",
         small_graph([helper.make_node("Conv", ["input", "k"], ["output"], "conv1")],
                     [w("k", (4, 2, 3, 5))], conv_in, conv_out),
         "node 0 (Conv 'conv1'): its kernel 3x5 is not supported (square kernels only)",
         "an unsupported attribute value: a 3x5 kernel")
    save("conv_strides",
         small_graph([helper.make_node("Conv", ["input", "k"], ["output"], "conv1",
                                       strides=[1, 2])],
                     [w("k", (4, 2, 3, 3))], conv_in, conv_out),
         "node 0 (Conv 'conv1'): strides [1, 2] is not supported", "unequal strides")
    ext = small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc)
    t = ext.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "weights.bin"
    save("external_data", ext,
         "initializer 'fc.weight' keeps its data in an external file ('weights.bin'): export with "
         "the weights inside the file", "weights in a separate file")
    save("missing_initializer",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc[1:]),
         "node 0 (Gemm 'fc'): reads 'fc.weight', which no node, initializer or graph input "
         "provides", "a weight that is not in the file")
    save("shapes_do_not_chain",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")],
                     [w("fc.weight", (3, 5)), w("fc.bias", (3,))]),
         "node 0 (Gemm 'fc'): its weight takes 5 inputs, the tensor before it has 4 values",
         "a weight of the wrong width")
    save("cycle",
         small_graph([helper.make_node("Relu", ["b"], ["a"], "relu_a"),
                      helper.make_node("Relu", ["a"], ["b"], "relu_b"),
                      gemm("input", "output", "fc.weight", "fc.bias")], fc),
         "is on a cycle", "two nodes reading each other's outputs")
    save("branch",
         small_graph([gemm("input", "h1", "fc.weight", "fc.bias", "fc1"),
                      gemm("input", "h2", "fc.weight", "fc.bias", "fc2"),
                      helper.make_node("Add", ["h1", "h2"], ["output"], "add")], fc),
         "tensor 'input' feeds 2 nodes (node 0 (Gemm 'fc1'), node 1 (Gemm 'fc2')): a branch",
         "two layers reading the input")
    sq = [w("sq.weight", (4, 4)), w("sq.bias", (4,), 3)]
    save("residual_add",
         small_graph([gemm("input", "h", "sq.weight", "sq.bias", "fc1"),
                      helper.make_node("Relu", ["h"], ["r"], "relu1"),
                      helper.make_node("Add", ["r", "input"], ["s"], "residual"),
                      gemm("s", "output", "fc.weight", "fc.bias", "fc2")], sq + fc),
         "feeds 2 nodes", "a residual connection (the input added back)")
    save("attention",
         small_graph([gemm("input", "q", "sq.weight", "sq.bias", "query"),
                      helper.make_node("Relu", ["q"], ["k"], "key"),
                      helper.make_node("MatMul", ["input", "k"], ["scores"], "attention"),
                      gemm("scores", "output", "fc.weight", "fc.bias", "fc2")], sq + fc),
         "a branch; the lab's models are one chain of layers, so branches, residual adds and "
         "attention cannot be expressed", "a product of two computed tensors")
    save("dimension_too_large",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc,
                     [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                    ["batch", 3000000])]),
         "input 'input' dimension 1 must be a fixed size from 1 to 2^20",
         "an input wider than the lab's limit")
    save("opset_6", small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc, opset=6),
         "opset 6 is not supported (the lab reads opsets 7 to 21)", "an opset older than 7")
    save("two_inputs",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc,
                     [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4]),
                      helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 4])]),
         "the graph has 2 inputs ('input', 'mask')", "a second graph input")
    save("int_input",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc,
                     [helper.make_tensor_value_info("input", TensorProto.INT64, ["batch", 4])]),
         "input 'input' must be a float tensor, it is INT64", "integer inputs (token ids)")
    save("softmax_in_the_middle",
         small_graph([helper.make_node("Softmax", ["input"], ["p"], "softmax", axis=1),
                      gemm("p", "output", "fc.weight", "fc.bias")], fc),
         "node 0 (Softmax 'softmax')", "a Softmax that is not the last node")
    bn = [numpy_helper.from_array(np.ones(4, np.float32), n) for n in ("s", "b", "m", "v")]
    save("batchnorm_first",
         small_graph([helper.make_node("BatchNormalization", ["input", "s", "b", "m", "v"],
                                       ["n"], "bn0"),
                      gemm("n", "output", "fc.weight", "fc.bias")], fc + bn),
         "node 0 (BatchNormalization 'bn0'): a BatchNormalization must follow a Conv, Gemm or "
         "MatMul", "nothing to fold a BatchNorm into")
    save("string_initializer",
         small_graph([gemm("input", "output", "fc.weight", "fc.bias")],
                     [helper.make_tensor("fc.weight", TensorProto.STRING, [1], [b"x"]), fc[1]]),
         "has data type STRING (8), which the lab does not read", "a weight of strings")
    short = small_graph([gemm("input", "output", "fc.weight", "fc.bias")], fc)
    short.graph.initializer[0].raw_data = short.graph.initializer[0].raw_data[:20]
    save("short_raw_data", short,
         "initializer 'fc.weight': tensor 'fc.weight' holds 20 bytes, its dims need 12 values",
         "raw data shorter than its dims")
    save("pad_before_maxpool",
         small_graph([helper.make_node("Pad", ["input", "pads"], ["p"], "pad1"),
                      helper.make_node("MaxPool", ["p"], ["output"], "pool1",
                                       kernel_shape=[2, 2])],
                     [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
                                              "pads")], conv_in, conv_out),
         "node 0 (Pad 'pad1'): a Pad before a MaxPool is not supported", "padding by a Pad node")
    save("ceil_mode",
         small_graph([helper.make_node("Conv", ["input", "k"], ["c"], "conv1"),
                      helper.make_node("MaxPool", ["c"], ["output"], "pool1", kernel_shape=[2, 2],
                                       strides=[2, 2], ceil_mode=1)],
                     [w("k", (4, 2, 2, 2))], conv_in, conv_out),
         "node 1 (MaxPool 'pool1'): ceil_mode 1 is not supported where it changes the output size",
         "ceil_mode on a 7x7 map")
    then_graph = helper.make_graph([helper.make_node("Identity", ["input"], ["y"])], "then", [],
                                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save("subgraph",
         small_graph([helper.make_node("If", ["cond"], ["output"], "if1", then_branch=then_graph,
                                       else_branch=then_graph)],
                     [numpy_helper.from_array(np.array(True), "cond")]),
         "node 0 (If 'if1'): has a subgraph (attribute 'else_branch')", "control flow")
    save("custom_domain",
         small_graph([helper.make_node("QLinearConv", ["input"], ["output"], "qconv",
                                       domain="com.microsoft")], []),
         "node 0 (QLinearConv 'qconv'): op com.microsoft::QLinearConv is not in the default ONNX "
         "domain", "an onnxruntime contrib op")
    save("two_activations",
         small_graph([gemm("input", "h", "fc.weight", "fc.bias"),
                      helper.make_node("Tanh", ["h"], ["t"], "tanh1"),
                      helper.make_node("Sigmoid", ["t"], ["output"], "sigmoid1")], fc),
         "node 2 (Sigmoid 'sigmoid1'): follows the activation tanh of the layer before it",
         "two activations in a row")
    qd = [numpy_helper.from_array(np.array(0.05, np.float32), "qs"),
          numpy_helper.from_array(np.array(0, np.int8), "qz")]
    save("quantizer_before_tanh",
         small_graph([gemm("input", "h", "fc.weight", "fc.bias"),
                      helper.make_node("QuantizeLinear", ["h", "qs", "qz"], ["hq"], "q1"),
                      helper.make_node("DequantizeLinear", ["hq", "qs", "qz"], ["hd"], "dq1"),
                      helper.make_node("Tanh", ["hd"], ["output"], "tanh1")], fc + qd),
         "node 3 (Tanh 'tanh1'): follows a QuantizeLinear/DequantizeLinear pair",
         "a quantizer between a layer and its activation (only ReLU commutes)")
    save("activation_per_channel",
         small_graph([gemm("input", "h", "fc.weight", "fc.bias"),
                      helper.make_node("QuantizeLinear", ["h", "cs", "cz"], ["hq"], "q1", axis=1),
                      helper.make_node("DequantizeLinear", ["hq", "cs", "cz"], ["output"], "dq1",
                                       axis=1)],
                     fc + [numpy_helper.from_array(np.array([0.1, 0.2, 0.3], np.float32), "cs"),
                           numpy_helper.from_array(np.zeros(3, np.int8), "cz")]),
         "node 1 (QuantizeLinear 'q1'): quantizes an activation per channel",
         "per-channel activation quantization")
    save("no_layer",
         small_graph([helper.make_node("Relu", ["input"], ["output"], "relu0")], [],
                     outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT,
                                                            ["batch", 4])]),
         "node 0 (Relu 'relu0'): comes before the first layer", "an activation with no layer")

    # What torch writes for x.view(x.size(0), -1): a shape computed at run time.
    class ViewNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(2 * 6 * 6, 3)

        def forward(self, x):
            x = F.relu(self.conv(x))
            return self.fc(x.view(x.size(0), -1))

    path = os.path.join(BAD, "dynamic_view.onnx")
    torch.onnx.export(ViewNet(), torch.zeros(2, 1, 8, 8), path, opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    cases.append({"file": "dynamic_view.onnx",
                  "message": "computes a shape at run time (as x.view(x.size(0), -1) exports)",
                  "what": "torch's x.view(x.size(0), -1) with a dynamic batch"})
    with open(os.path.join(BAD, "manifest.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")
    print("%d bad files" % len(cases))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    x, y = mnist()
    inputs = torch.from_numpy(np.ascontiguousarray(x[::STRIDE][:ROWS]))
    manifest = []

    mlp = MlpRelu()
    train(mlp, x, y, 2, (784,))
    export("mlp_relu", mlp, (784,), 13, x)
    with torch.no_grad():
        write_outputs("mlp_relu", mlp(inputs).numpy())
    manifest.append({"name": "mlp_relu", "opset": 13, "shape": [784]})

    hs = MlpHardSigmoid()
    train(hs, x, y, 2, (784,))
    export("mlp_hardsigmoid", hs, (784,), 11, x)
    with torch.no_grad():
        write_outputs("mlp_hardsigmoid", hs(inputs).numpy())
    manifest.append({"name": "mlp_hardsigmoid", "opset": 11, "shape": [784]})

    lenet = LeNetBn()
    train(lenet, x, y, 1, (1, 28, 28), lr=0.02)
    export("lenet_bn", lenet, (1, 28, 28), 13, x, preserve=True)
    write_outputs("lenet_bn", before_softmax(lenet, inputs.reshape(-1, 1, 28, 28)))
    manifest.append({"name": "lenet_bn", "opset": 13, "shape": [1, 28, 28], "output": "logsoftmax"})

    gap = CnnGap()
    train(gap, x, y, 1, (1, 28, 28), lr=0.05)
    export("cnn_gap", gap, (1, 28, 28), 17, x)
    write_outputs("cnn_gap", before_softmax(gap, inputs.reshape(-1, 1, 28, 28)))
    manifest.append({"name": "cnn_gap", "opset": 17, "shape": [1, 28, 28], "output": "softmax"})

    qdq_int8(mlp, x)
    manifest.append({"name": "qdq_int8", "opset": 13, "shape": [784], "quantized": True})

    ops_opset9(x)
    manifest.append({"name": "ops_opset9", "opset": 9, "shape": [1, 28, 28], "output": "softmax"})

    with open(os.path.join(OUT, "mlp_relu.onnx"), "rb") as f:
        bad_corpus(f.read())

    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump({"rows": ROWS, "stride": STRIDE, "data": "mnist", "fixtures": manifest}, f,
                  indent=1)
        f.write("\n")
    for m in manifest:
        size = os.path.getsize(os.path.join(OUT, m["name"] + ".onnx"))
        print("%-18s %7d bytes" % (m["name"], size))


if __name__ == "__main__":
    sys.exit(main())
