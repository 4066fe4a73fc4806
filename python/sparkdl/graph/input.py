"""``TFInputGraph``: sparkdl 1.x's way to hand a TensorFlow graph to ``TFTransformer``.

Each constructor freezes the graph in TensorFlow Python (variables become constants, at their
values in the session, checkpoint or SavedModel) down to what the fetches need, as sparkdl 1.x
did, and the result is a :class:`~sparkdl.model.TFModel` that ``TFTransformer`` runs:

>>> gin = TFInputGraph.fromGraph(sess.graph, sess, ["x"], ["y"])
>>> TFTransformer(tfInputGraph=gin, inputMapping={"features": "x:0"}, outputMapping={"y:0": "out"})

Built from a signature (``fromCheckpointWithSignature``, ``fromSavedModelWithSignature``), the
model keeps that signature: mappings may name its keys as well as tensor names (sparkdl 1.x
needed :meth:`TFInputGraph.translateInputMapping` first; it still works).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from sparkdl.model import TFModel, _save_frozen_graph

__all__ = ["TFInputGraph"]


class TFInputGraph:
    """A frozen TensorFlow graph, with the signature it was built from, if any.

    Build one with a class method: :meth:`fromGraph`, :meth:`fromGraphDef`,
    :meth:`fromCheckpoint`, :meth:`fromCheckpointWithSignature`, :meth:`fromSavedModel` or
    :meth:`fromSavedModelWithSignature`.

    Attributes
    ----------
    graph_def
        The frozen ``tf.compat.v1.GraphDef``.
    input_tensor_name_from_signature, output_tensor_name_from_signature
        Signature key -> tensor name, or None when the graph was not built from a signature.
    model
        The :class:`~sparkdl.model.TFModel` that runs the graph (with the signature, if any).
    """

    def __init__(
        self,
        graph_def: Any,
        input_tensor_name_from_signature: Mapping[str, str] | None,
        output_tensor_name_from_signature: Mapping[str, str] | None,
        signature_def_key: str | None = None,
    ) -> None:
        self.graph_def = graph_def
        self.input_tensor_name_from_signature = input_tensor_name_from_signature
        self.output_tensor_name_from_signature = output_tensor_name_from_signature
        if signature_def_key is None:
            self.model = TFModel.from_graph_def(graph_def)
        else:
            saved = tempfile.TemporaryDirectory(prefix="sparkdl-input-graph-")
            _save_frozen_graph(
                graph_def,
                dict(input_tensor_name_from_signature or {}),
                dict(output_tensor_name_from_signature or {}),
                saved.name,
                signature_def_key,
            )
            self.model = TFModel._from_temporary_saved_model(
                saved, "TFInputGraph", signature_def_key
            )

    # ---- sparkdl 1.x's mapping translation ----------------------------------------------------

    def translateInputMapping(self, input_mapping: Mapping[str, str]) -> dict[str, str]:
        """``{column: signature input key}`` as ``{column: tensor name}``."""
        names = self._signature_names(self.input_tensor_name_from_signature, "input")
        return {column: names(key) for column, key in _pairs(input_mapping)}

    def translateOutputMapping(self, output_mapping: Mapping[str, str]) -> dict[str, str]:
        """``{signature output key: column}`` as ``{tensor name: column}``."""
        names = self._signature_names(self.output_tensor_name_from_signature, "output")
        return {names(key): column for key, column in _pairs(output_mapping)}

    def _signature_names(self, names: Mapping[str, str] | None, what: str) -> Any:
        if names is None:
            raise ValueError(
                f"this TFInputGraph was not built from a signature, so it has no {what} keys to "
                "translate; map tensor names directly"
            )

        def name(key: str) -> str:
            if key not in names:
                raise KeyError(
                    f"'{key}' is not an {what} key of the signature; its {what} keys: "
                    f"{', '.join(sorted(names))}"
                )
            return names[key]

        return name

    # ---- constructors -------------------------------------------------------------------------

    @classmethod
    def fromGraph(
        cls, graph: Any, sess: Any, feed_names: Sequence[str], fetch_names: Sequence[str]
    ) -> TFInputGraph:
        """A ``tf.Graph`` whose variables hold their values in ``sess`` (a
        ``tf.compat.v1.Session`` of it), frozen down to ``fetch_names``.

        Parameters
        ----------
        graph
            The graph.
        sess
            A session of ``graph`` in which its variables are initialized or restored; it is
            not closed.
        feed_names, fetch_names
            Names of the input and output tensors (``"x"`` or ``"x:0"``).
        """
        return _with_feeds_fetches(graph, sess, feed_names, fetch_names)

    @classmethod
    def fromGraphDef(
        cls, graph_def: Any, feed_names: Sequence[str], fetch_names: Sequence[str]
    ) -> TFInputGraph:
        """A ``tf.compat.v1.GraphDef``, stripped down to ``fetch_names``."""
        import tensorflow as tf

        if not isinstance(graph_def, tf.compat.v1.GraphDef):
            raise TypeError(
                f"fromGraphDef: graph_def is a {type(graph_def).__name__}; expected a "
                "tf.compat.v1.GraphDef (graph.as_graph_def())"
            )
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as sess:
            return _with_feeds_fetches(graph, sess, feed_names, fetch_names)

    @classmethod
    def fromCheckpoint(
        cls, checkpoint_dir: str, feed_names: Sequence[str], fetch_names: Sequence[str]
    ) -> TFInputGraph:
        """The latest checkpoint in ``checkpoint_dir`` (its ``.meta`` graph, variables
        restored), frozen down to ``fetch_names``; any signature in it is ignored."""
        return _from_checkpoint(checkpoint_dir, None, feed_names, fetch_names)

    @classmethod
    def fromCheckpointWithSignature(
        cls, checkpoint_dir: str, signature_def_key: str
    ) -> TFInputGraph:
        """The latest checkpoint in ``checkpoint_dir``, its inputs and outputs those of the
        signature ``signature_def_key`` of its meta graph."""
        _require_key(signature_def_key, "fromCheckpointWithSignature")
        return _from_checkpoint(checkpoint_dir, signature_def_key, None, None)

    @classmethod
    def fromSavedModel(
        cls,
        saved_model_dir: str,
        tag_set: str,
        feed_names: Sequence[str],
        fetch_names: Sequence[str],
    ) -> TFInputGraph:
        """The meta graph of a SavedModel with tags ``tag_set`` (comma-separated), frozen down
        to ``fetch_names``; its signatures are ignored."""
        return _from_saved_model(saved_model_dir, tag_set, None, feed_names, fetch_names)

    @classmethod
    def fromSavedModelWithSignature(
        cls, saved_model_dir: str, tag_set: str, signature_def_key: str
    ) -> TFInputGraph:
        """The meta graph of a SavedModel with tags ``tag_set`` (comma-separated), its inputs
        and outputs those of signature ``signature_def_key``."""
        _require_key(signature_def_key, "fromSavedModelWithSignature")
        return _from_saved_model(saved_model_dir, tag_set, signature_def_key, None, None)

    def __repr__(self) -> str:
        return f"TFInputGraph({self.model!r})"


def _pairs(mapping: Any) -> list[tuple[str, str]]:
    # sparkdl 1.x kept mappings as sorted lists of pairs; take those as well as dicts.
    return list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)


def _require_key(signature_def_key: Any, constructor: str) -> None:
    if not isinstance(signature_def_key, str) or not signature_def_key:
        raise ValueError(
            f"{constructor}: signature_def_key is {signature_def_key!r}; expected the name of "
            "a signature"
        )


def _op_name(tensor_name: str) -> str:
    return tensor_name.split(":")[0]


def _with_feeds_fetches(
    graph: Any, sess: Any, feed_names: Sequence[str], fetch_names: Sequence[str]
) -> TFInputGraph:
    from sparkdl._graphs import _frozen_graph_def

    for kind, names in (("feed_names", feed_names), ("fetch_names", fetch_names)):
        if isinstance(names, str) or not names:
            raise ValueError(f"{kind} is {names!r}; expected a non-empty list of tensor names")
        for name in names:
            try:
                graph.get_operation_by_name(_op_name(name))
            except KeyError:
                raise ValueError(f"{kind}: '{name}' is not a tensor of the graph") from None
    graph_def = _frozen_graph_def(graph, [_op_name(n) for n in fetch_names], sess)
    return TFInputGraph(graph_def, None, None)


def _with_signature(graph: Any, sess: Any, signature_def: Any, key: str) -> TFInputGraph:
    from sparkdl._graphs import _frozen_graph_def

    inputs = {k: info.name for k, info in signature_def.inputs.items()}
    outputs = {k: info.name for k, info in signature_def.outputs.items()}
    graph_def = _frozen_graph_def(graph, sorted({_op_name(n) for n in outputs.values()}), sess)
    return TFInputGraph(graph_def, inputs, outputs, signature_def_key=key)


def _signature(meta_graph_def: Any, key: str, where: str) -> Any:
    if key not in meta_graph_def.signature_def:
        raise ValueError(
            f"{where} has no signature '{key}'; its signatures: "
            f"{', '.join(sorted(meta_graph_def.signature_def)) or '(none)'}"
        )
    return meta_graph_def.signature_def[key]


def _check_feeds_fetches(signature_def_key: str | None, feed_names: Any, fetch_names: Any) -> None:
    if signature_def_key is None and (feed_names is None or fetch_names is None):
        raise ValueError("feed_names and fetch_names are both required without a signature")


def _from_checkpoint(
    checkpoint_dir: str, signature_def_key: str | None, feed_names: Any, fetch_names: Any
) -> TFInputGraph:
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    _check_feeds_fetches(signature_def_key, feed_names, fetch_names)
    checkpoint = tf.train.latest_checkpoint(str(checkpoint_dir))
    if checkpoint is None:
        raise FileNotFoundError(f"no checkpoint in '{checkpoint_dir}'")
    meta_path = f"{checkpoint}.meta"
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(
            f"checkpoint '{checkpoint}' has no meta graph '{meta_path}' (save it with "
            "tf.compat.v1.train.Saver, which writes one)"
        )
    # Read the MetaGraphDef ourselves: import_meta_graph drops its signature_def.
    meta_graph_def = meta_graph_pb2.MetaGraphDef()
    with open(meta_path, "rb") as f:
        meta_graph_def.ParseFromString(f.read())
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.compat.v1.train.import_meta_graph(meta_graph_def, clear_devices=True)
    with tf.compat.v1.Session(graph=graph) as sess:
        saver.restore(sess, checkpoint)
        if signature_def_key is not None:
            signature = _signature(meta_graph_def, signature_def_key, f"checkpoint '{checkpoint}'")
            return _with_signature(graph, sess, signature, signature_def_key)
        return _with_feeds_fetches(graph, sess, feed_names, fetch_names)


def _from_saved_model(
    saved_model_dir: str,
    tag_set: str,
    signature_def_key: str | None,
    feed_names: Any,
    fetch_names: Any,
) -> TFInputGraph:
    import tensorflow as tf

    _check_feeds_fetches(signature_def_key, feed_names, fetch_names)
    tags = [t.strip() for t in tag_set.split(",")] if isinstance(tag_set, str) else list(tag_set)
    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as sess:
        meta_graph_def = tf.compat.v1.saved_model.loader.load(sess, tags, str(saved_model_dir))
        if signature_def_key is not None:
            where = f"SavedModel '{saved_model_dir}' (tags {tags})"
            signature = _signature(meta_graph_def, signature_def_key, where)
            return _with_signature(graph, sess, signature, signature_def_key)
        return _with_feeds_fetches(graph, sess, feed_names, fetch_names)
