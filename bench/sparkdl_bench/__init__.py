"""sparkdl's benchmark suite: models, methods, measurements and reports (run by bench/run.py)."""
