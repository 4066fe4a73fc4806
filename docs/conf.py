"""Sphinx configuration of sparkdl's docs (`dev/docs` builds them into target/docs/python)."""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "python")))

project = "sparkdl"
author = "sparkdl developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Import errors of optional modules must fail the build, not vanish from the reference.
autodoc_mock_imports: list[str] = []
napoleon_numpy_docstring = True
html_theme = "alabaster"
html_title = "sparkdl"
suppress_warnings = ["myst.xref_missing"]
