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
    "leaky_relu": lambda x, y: [*_constant(y + "_slope", 0.01, like=x),  # max(z, 0.01·z): ONNX's LeakyRelu
                                helper.make_node("Mul", [x, y + "_slope"], [y + "_scaled"]),  # takes its slope
                                helper.make_node("Max", [x, y + "_scaled"], [y])],            # as a float32
    "elu": lambda x, y: [*_constant(y + "_zero", 0.0, like=x), *_constant(y + "_one", 1.0, like=x),  # z if z > 0,
                         helper.make_node("Greater", [x, y + "_zero"], [y + "_positive"]),      # else e^z − 1
                         helper.make_node("Exp", [x], [y + "_exp"]),
                         helper.make_node("Sub", [y + "_exp", y + "_one"], [y + "_negative"]),
                         helper.make_node("Where", [y + "_positive", x, y + "_negative"], [y])],
    "gelu": lambda x, y: [*_constant(y + "_root2", 2 ** 0.5, like=x), *_constant(y + "_one", 1.0, like=x),
                          *_constant(y + "_half", 0.5, like=x),  # (z·½)(1 + erf(z/√2)), the exact form,
                          helper.make_node("Div", [x, y + "_root2"], [y + "_scaled"]),  # z halved first:
                          helper.make_node("Erf", [y + "_scaled"], [y + "_erf"]),       # z·(1 + erf) overflows
                          helper.make_node("Add", [y + "_erf", y + "_one"], [y + "_sum"]),  # for z > max/2
                          helper.make_node("Mul", [x, y + "_half"], [y + "_halved"]),
                          helper.make_node("Mul", [y + "_halved", y + "_sum"], [y])],
    "softplus": lambda x, y: [*_constant(y + "_zero", 0.0, like=x), *_constant(y + "_one", 1.0, like=x),
                              helper.make_node("Max", [x, y + "_zero"], [y + "_relu"]),  # max(z, 0) + log(1 + e^−|z|):
                              helper.make_node("Abs", [x], [y + "_abs"]),               # no overflow, as the core's
                              helper.make_node("Neg", [y + "_abs"], [y + "_negative"]),
                              helper.make_node("Exp", [y + "_negative"], [y + "_exp"]),
                              helper.make_node("Add", [y + "_exp", y + "_one"], [y + "_sum"]),
                              helper.make_node("Log", [y + "_sum"], [y + "_log"]),
                              helper.make_node("Add", [y + "_relu", y + "_log"], [y])],
    "silu": lambda x, y: [helper.make_node("Sigmoid", [x], [y + "_sigmoid"]),  # z·σ(z)
                          helper.make_node("Mul", [x, y + "_sigmoid"], [y])],
}
# elu, softplus and leaky_relu are built from ops ONNX Runtime's CPU provider runs in float64 too (its Elu,
# Softplus and LeakyRelu are float32-only; LeakyRelu's slope is a float32 attribute). Its Erf is float32-only
# too, so a float64 network with gelu exports a valid model that ONNX Runtime cannot run.


def _constant(name: str, value: float, like: str) -> list[onnx.NodeProto]:
    """Nodes making `name` the scalar `value` in the dtype of tensor `like` (as the core rounds it)."""
    return [helper.make_node("Constant", [], [name + "_double"], value=numpy_helper.from_array(np.array(value))),
            helper.make_node("CastLike", [name + "_double", like], [name])]


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
