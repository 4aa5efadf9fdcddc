"""Benchmarks of the web app against the plain PyVista-in-Panel approach (``python benchmarks/run.py``)."""
