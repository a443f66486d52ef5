"""An ``ICP_WIRING_HOOK`` that makes a run's embed stage slow enough to watch (browser test of issue 13
point 6): whole-profile vectors take ``SECONDS_PER_LEAD`` each on top of the real embedder.

Only the pipeline's embed stage is slowed (it embeds through ``embedder.inner``); the scorer and the
text cache use the real embedder at full speed, so scores are the product's own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

SECONDS_PER_LEAD = 0.004


class _SlowInner:
    def __init__(self, inner: Any):
        self._inner = inner

    def embed(self, texts: Sequence[str]) -> Any:
        time.sleep(SECONDS_PER_LEAD * len(texts))
        return self._inner.embed(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _SlowStageEmbedder:
    def __init__(self, real: Any):
        self._real = real
        self.inner = _SlowInner(getattr(real, "inner", real))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def slow_embed_stage(wiring: Any) -> None:
    """Wrap the wiring's embedder (built here) so that the embed stage is slow."""
    wiring.__dict__["embedder"] = _SlowStageEmbedder(wiring.embedder)
