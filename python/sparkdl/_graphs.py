"""Freezing TF1 graphs and TF2 functions into GraphDefs, shared by :mod:`sparkdl.tensorframes`
and :mod:`sparkdl.model`: the one way a ``tf.function`` becomes a graph sparkdl runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from tensorflow.python.util import deprecation


def _frozen_graph_def(
    graph: tf.Graph, op_names: list[str], session: Any = None
) -> tf.compat.v1.GraphDef:
    """The subgraph that computes ``op_names``, with variables made constants: their values in
    ``session`` (a ``tf.compat.v1.Session`` of ``graph``), else their initial values."""
    with deprecation.silence():
        if not graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES):
            return tf.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), op_names)
        if session is not None:
            if session.graph is not graph:
                raise ValueError("the session runs another graph than the fetches'")
            return tf.compat.v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), op_names
            )
        with graph.as_default():
            init = tf.compat.v1.global_variables_initializer()
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(init)
            return tf.compat.v1.graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), op_names
            )


@dataclass(frozen=True)
class _FrozenFunction:
    """A concrete function as a GraphDef with its variables made constants."""

    graph_def: tf.compat.v1.GraphDef
    #: Each parameter (its name as traced: the TensorSpec's name, else the parameter's) -> the
    #: op name of the placeholder that feeds it.
    placeholders: dict[str, str]
    #: The tensor names of the function's outputs, in ``tf.nest.flatten`` order.
    outputs: list[str]
    #: The traced outputs (``concrete.structured_outputs``).
    structured_outputs: Any


def _frozen_function(concrete: Any, what: str | None = None) -> _FrozenFunction:
    """``concrete`` (a ``tf.types.experimental.ConcreteFunction``) frozen into a GraphDef.

    Variables become constants (TF's ``convert_variables_to_constants_v2``); other captured
    resources, such as lookup tables, cannot be frozen and are refused. ``what`` names the
    function in errors, e.g. "function 'lookup'". Default: from the concrete function's name.
    """
    if what is None:
        name = concrete.name
        what = f"function '{name.decode() if isinstance(name, bytes) else name}'"
    frozen = convert_variables_to_constants_v2(concrete)
    placeholders = {}
    for t in frozen.inputs:
        traced = concrete.graph.get_operation_by_name(t.op.name)
        try:
            parameter = traced.get_attr("_user_specified_name").decode("utf-8")
        except ValueError:
            parameter = None
        if parameter is None or t.dtype == tf.resource:
            raise ValueError(
                f"{what} captures '{t.op.name}' ({t.dtype.name}), a resource other than a "
                "variable (a lookup table of tf.lookup, a dataset, ...): only variables can "
                "be frozen into a graph, so map_blocks, map_rows and TFModel.from_function "
                "do not support it; save the function with tf.saved_model.save (which keeps "
                "the table and its initializer) and use TFModel.from_saved_model"
            )
        placeholders[parameter] = t.op.name
    outputs = [t.name for t in frozen.outputs]
    traced_outputs = [t.name for t in tf.nest.flatten(concrete.structured_outputs)]
    if outputs != traced_outputs:
        raise RuntimeError(
            f"the frozen outputs {outputs} of {what} do not line up with its returned tensors "
            f"{traced_outputs}"
        )
    return _FrozenFunction(
        graph_def=frozen.graph.as_graph_def(),
        placeholders=placeholders,
        outputs=outputs,
        structured_outputs=concrete.structured_outputs,
    )
