"""ONNX export of a Network's inference graph, built and checked with the `onnx` package (an optional
dependency, imported only here): X → Gemm (a·W + b) → activation, layer after layer, as `predict` computes."""
from __future__ import annotations

from typing import Any, BinaryIO, Callable, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Opset 20: the first with ONNX's own Gelu.
OPSET = 20

# Each activation the network may report, as the ONNX nodes computing y = act(x) (the names of the
# tensors x and y given). A new activation is one line here, with ONNX's own op where one exists.
_Nodes = Callable[[str, str], list[onnx.NodeProto]]


def _op(op_type: str, **attributes: Any) -> _Nodes:
    """An activation that is a single ONNX op."""
    return lambda x, y: [helper.make_node(op_type, [x], [y], **attributes)]


ACTIVATIONS: dict[str, _Nodes] = {
    "identity": _op("Identity"),
    "sigmoid": _op("Sigmoid"),
    "relu": _op("Relu"),
    "tanh": _op("Tanh"),
    "softmax": _op("Softmax", axis=-1),  # over each row's outputs
    "exp": _op("Exp"),
}


def model(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], activations: Sequence[str],
          description: str) -> onnx.ModelProto:
    """The checked ONNX model of a perceptron with these layers (W_l (fan_in, fan_out), b_l (fan_out,),
    one activation name per layer): input "X" (batch, inputs), output "Y" (batch, outputs), both of
    the parameters' dtype."""
    element_type = helper.np_dtype_to_tensor_dtype(weights[0].dtype)
    nodes: list[onnx.NodeProto] = []
    initializers = []
    layer_input = "X"
    for layer, (w, b, activation) in enumerate(zip(weights, biases, activations), start=1):
        initializers += [numpy_helper.from_array(np.ascontiguousarray(w), f"W{layer}"),
                         numpy_helper.from_array(np.ascontiguousarray(b), f"b{layer}")]
        nodes.append(helper.make_node("Gemm", [layer_input, f"W{layer}", f"b{layer}"], [f"z{layer}"]))
        layer_input = "Y" if layer == len(weights) else f"a{layer}"
        if activation not in ACTIVATIONS:
            raise ValueError(f"export: activation {activation!r} of layer {layer} has no ONNX form in this sgdswift")
        nodes += ACTIVATIONS[activation](f"z{layer}", layer_input)
    graph = helper.make_graph(
        nodes, "sgdswift.Network",
        [helper.make_tensor_value_info("X", element_type, ["batch", weights[0].shape[0]])],
        [helper.make_tensor_value_info("Y", element_type, ["batch", weights[-1].shape[1]])], initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    result = helper.make_model(graph, opset_imports=opsets, producer_name="sgdswift", doc_string=description,
                               ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(result, full_check=True)
    return result


def write(onnx_model: onnx.ModelProto, file: BinaryIO) -> None:
    """Writes the model's protobuf bytes to `file`."""
    file.write(onnx_model.SerializeToString())
