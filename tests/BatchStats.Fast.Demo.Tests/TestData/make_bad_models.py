#!/usr/bin/env python3
"""Tiny ONNX models the demo must refuse with a clear message (tests load them with --model).

    rank3_input.onnx  one float input [N, 4, 4]      (not [N, F])
    two_inputs.onnx   two float inputs [N, 4], [N, 4] (not one input)
    fixed_batch.onnx  one float input [2, 4]          (batch dimension not dynamic)

Regenerate: /usr/bin/python3 tests/BatchStats.Fast.Demo.Tests/TestData/make_bad_models.py
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, inputs, nodes, output):
    graph = helper.make_graph(nodes, name, inputs, [output])
    model = helper.make_model(graph, producer_name="BatchStats.Fast tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


save("rank3_input", [tensor("x", ["N", 4, 4])], [helper.make_node("Relu", ["x"], ["y"])], tensor("y", ["N", 4, 4]))
save("two_inputs", [tensor("a", ["N", 4]), tensor("b", ["N", 4])], [helper.make_node("Add", ["a", "b"], ["y"])], tensor("y", ["N", 4]))
save("fixed_batch", [tensor("x", [2, 4])], [helper.make_node("Relu", ["x"], ["y"])], tensor("y", [2, 4]))
