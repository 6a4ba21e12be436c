#!/usr/bin/env python3
"""Builds the demo's model: a small MLP classifier with a dynamic batch dimension, and its golden values.

    input  "features" float32 [N, 64]
    output "scores"   float32 [N, 10]   (softmax over 10 classes)
    64 -> 384 -> ReLU -> 384 -> ReLU -> 384 -> ReLU -> 10 -> Softmax, about 323k weights (1.3 MB)

Weights come from a fixed seed (numpy's PCG64, seed 20261129), so the file is the same on every run of the same
onnx/numpy versions. Next to the model it writes golden.json: a fixed input batch (seed 7, shape [5, 64]) and the
output of a plain numpy forward pass over it, which a test compares with ONNX Runtime's output.

Regenerate (Debian: apt-get install python3-onnx python3-numpy):
    /usr/bin/python3 samples/InferenceServer/model/make_model.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FEATURES = 64
HIDDEN = 384
CLASSES = 10
LAYERS = [FEATURES, HIDDEN, HIDDEN, HIDDEN, CLASSES]
HERE = os.path.dirname(os.path.abspath(__file__))


def weights(rng):
    """He-initialised dense layers (float32), biases small."""
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        w = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (rng.standard_normal(fan_out) * 0.01).astype(np.float32)
        params.append((w, b))
    return params


def build(params):
    nodes, inits = [], []
    x = "features"
    for i, (w, b) in enumerate(params):
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [f"z{i}"], name=f"dense{i}"))
        x = f"z{i}"
        if i < len(params) - 1:
            nodes.append(helper.make_node("Relu", [x], [f"h{i}"], name=f"relu{i}"))
            x = f"h{i}"
    nodes.append(helper.make_node("Softmax", [x], ["scores"], name="softmax", axis=1))
    graph = helper.make_graph(
        nodes,
        "batchstats_demo_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", FEATURES])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", CLASSES])],
        inits,
    )
    model = helper.make_model(graph, producer_name="BatchStats.Fast demo", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every ONNX Runtime release of the last years
    onnx.checker.check_model(model)
    return model


def forward(params, x):
    """The reference forward pass, in float64 then rounded to float32 (what a test compares within a tolerance)."""
    h = x.astype(np.float64)
    for i, (w, b) in enumerate(params):
        h = h @ w.astype(np.float64) + b.astype(np.float64)
        if i < len(params) - 1:
            h = np.maximum(h, 0.0)
    h = h - h.max(axis=1, keepdims=True)
    e = np.exp(h)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def main():
    params = weights(np.random.default_rng(20261129))
    model = build(params)
    onnx.save(model, os.path.join(HERE, "mlp.onnx"))
    x = np.random.default_rng(7).standard_normal((5, FEATURES)).astype(np.float32)
    golden = {
        "input_shape": list(x.shape),
        "output_shape": [x.shape[0], CLASSES],
        "input": [float(v) for v in x.ravel()],
        "output": [float(v) for v in forward(params, x).ravel()],
    }
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
