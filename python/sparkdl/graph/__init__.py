"""The original sparkdl's ``sparkdl.graph`` package, kept for :class:`TFInputGraph`
(``from sparkdl.graph.input import TFInputGraph``)."""
