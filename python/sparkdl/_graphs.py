"""Freezing TF1 graphs, shared by :mod:`sparkdl.tensorframes` and :mod:`sparkdl.model`."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
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
