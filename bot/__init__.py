"""Refurbot: a conversational assistant for refurbished-electronics marketplaces."""

import os

# The bot's matrix products are small (one question against a few thousand card vectors). OpenBLAS's worker
# threads gain nothing there and spin against onnxruntime's for the 2 cores: measured, a knowledge answer
# took 11.8 ms at p50 with them and 5.9 ms without (benchmarks/against_checkout.py). An operator's own
# setting wins. This must run before numpy is first imported, hence here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
