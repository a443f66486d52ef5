"""Wiring: the models and services of one process, built in one place from Settings and run options.

:class:`Wiring` builds (lazily, once per process) the embedder, the rerankers, the scorers, the
classifier and the enrichment providers that the engine, the pipeline, the CLI and the dashboard
use; nothing else constructs them. Tests inject stand-ins through its keyword arguments::

    Wiring(settings, db, scorer=LengthScorer())            # every run scores with the stand-in
    Engine(settings, db=db, wiring=Wiring(settings, db, scorer=...))

Which implementation is used:

* embedder: :func:`icp_engine.embeddings.get_embedder` (OpenAI with a key, else WordLlama), wrapped
  in the Postgres text cache when a database is given;
* reranker: :func:`icp_engine.rerank.get_reranker` by :class:`~icp_engine.enums.RerankerName`
  (``none`` -> no second stage);
* scorer: ``Scorer(embedder, reranker=..., rerank_top_n=...)``, one per (reranker, top N);
* classifier: :func:`icp_engine.classify.classify_many` with the OpenAI chat model when
  ``OPENAI_API_KEY`` is set;
* provider: :func:`icp_engine.enrich.get_provider` by :class:`~icp_engine.enums.EnrichProvider`;
* Fathom: :class:`icp_engine.calls.fathom.FathomAPI` (needs ``FATHOM_API_KEY``), one per process so
  its request spacing holds for every session;
* call extractor: :func:`icp_engine.calls.get_extractor` (``offline``, or ``openai`` with a key).

HTTP transports: ``Wiring(..., transports={"fathom": t, "openai": t})`` makes those clients send
through ``t`` (an ``httpx.BaseTransport``: a proxy, or ``httpx.MockTransport`` in tests). A
process that cannot pass arguments (the dashboard) names a hook in ``ICP_WIRING_HOOK``
(``"package.module:function"``), called with every new :class:`Wiring` before first use, which may
fill :attr:`Wiring.transports`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .config import Settings
from .domain import Profile
from .enrich import EnrichmentProvider
from .enums import EnrichProvider, RerankerName
from .errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover - the pipeline (and the database layer) load only for runs
    import httpx

    from .calls.extract import Extractor
    from .calls.fathom import FathomSource
    from .pipeline import RunContext, RunOptions

#: ``profiles -> [Classification]`` (industry + company type per profile, in input order).
Classifier = Callable[[Sequence[Profile]], list[Any]]
#: ``(run options, run id or None) -> provider``.
ProviderFactory = Callable[["RunOptions", "int | None"], EnrichmentProvider]


class Wiring:
    """Builds and caches the models and services of a process.

    ``Wiring(settings, db=None, *, embedder=None, scorer=None, classifier=None, provider=None)``:
    ``db`` (a :class:`~icp_engine.db.Database`) enables the embedding cache, the ``apify-json``
    profile cache and the live ``apify`` provider. The keyword arguments replace the built
    component: ``embedder`` (an :class:`~icp_engine.embeddings.Embedder`, used as is),
    ``scorer`` (anything with ``score(icp, profiles)`` and ``version``, used for every reranker),
    ``classifier`` (a :data:`Classifier`), ``provider`` (a :data:`ProviderFactory`);
    ``transports``: HTTP transports by service name (``"fathom"``, ``"openai"``). Then
    ``Settings.icp_wiring_hook`` is called with the new wiring. Thread-safe.
    Raises :class:`InvalidInput` when the hook cannot be imported.
    """

    def __init__(
        self,
        settings: Settings,
        db: Any = None,
        *,
        embedder: Any = None,
        scorer: Any = None,
        classifier: Classifier | None = None,
        provider: ProviderFactory | None = None,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
    ):
        self.settings = settings
        self.db = db
        self._embedder = embedder
        self._scorer = scorer
        self._classifier = classifier
        self._provider = provider
        #: HTTP transport per service name (``"fathom"``, ``"openai"``); missing: the real network.
        self.transports: dict[str, httpx.BaseTransport] = dict(transports or {})
        self._scorers: dict[tuple[RerankerName, int, bool], Any] = {}
        self._fathom: FathomSource | None = None
        self._lock = threading.Lock()
        hook = getattr(settings, "icp_wiring_hook", None)
        if hook:
            load_hook(hook)(self)

    @cached_property
    def embedder(self) -> Any:
        """The configured embedder, cached per text in Postgres when there is a database."""
        if self._embedder is not None:
            return self._embedder
        from .embeddings import get_embedder

        return get_embedder(self.settings, db=self.db)

    def prefetch_models(self) -> threading.Thread:
        """Start loading what a run's first chunk needs (the configured embedder, the title
        backbone, the scoring and classification modules) in a background thread; return it.

        Meant to overlap the parse and the store of an upload (the CLI's ``run``), which wait on
        Postgres much of the time. Loading never changes a result: the same cached models are used
        whether or not they were prefetched. A failure here is ignored (the first real use raises
        it). Not a daemon: a process that ends first waits for the load (about a second) instead of
        tearing onnxruntime down mid-load.
        """

        def load() -> None:
            try:
                from . import classify, pipeline  # noqa: F401 - imported for their load time
                from .scoring import scorer  # noqa: F401
                from .scoring.backbone import title_backbone

                embedder = self.embedder
                title_backbone(getattr(embedder, "db", None))
            except Exception:  # noqa: BLE001 - surfaced by the first real use instead
                pass

        thread = threading.Thread(target=load, name="model-prefetch", daemon=False)
        thread.start()
        return thread

    def reranker(self, name: RerankerName | str | None) -> Any:
        """The reranker called ``name``; None for ``none``. Raises :class:`InvalidInput` for an
        unknown name or a hosted reranker without its key."""
        kind = reranker_name(name)
        if kind == RerankerName.NONE:
            return None
        from .rerank import get_reranker

        return get_reranker(kind, self.settings)

    def scorer(self, reranker: RerankerName | str | None = RerankerName.NONE, rerank_top_n: int | None = None,
               *, judge: bool = False) -> Any:
        """The :class:`~icp_engine.scoring.scorer.Scorer` used by runs, ``rank``, ``eval`` and previews,
        one per (reranker, top N, judge); ``rerank_top_n`` defaults to ``Settings.rerank_top_n``.
        ``judge=True`` adds the OpenAI judge of the uncertain band (:mod:`icp_engine.scoring.judge`);
        it raises :class:`~icp_engine.errors.InvalidInput` without ``OPENAI_API_KEY``."""
        if self._scorer is not None:
            return self._scorer
        kind = reranker_name(reranker)
        top_n = int(rerank_top_n or self.settings.rerank_top_n)
        with self._lock:
            if (kind, top_n, judge) not in self._scorers:
                from .scoring.scorer import Scorer

                self._scorers[(kind, top_n, judge)] = Scorer(
                    self.embedder, reranker=self.reranker(kind), rerank_top_n=top_n,
                    judge=self.judge() if judge else None)
            return self._scorers[(kind, top_n, judge)]

    def judge(self) -> Any:
        """The OpenAI judge of the uncertain band, its verdicts cached in Postgres
        (``llm_judgements``) when there is a database, sent through ``transports["openai"]`` when
        set; raises :class:`InvalidInput` without a key."""
        if not self.settings.openai_api_key:
            raise InvalidInput("the LLM judgement needs OPENAI_API_KEY")
        from .scoring.judge import OpenAIJudge, PostgresJudgeCache

        cache = PostgresJudgeCache(self.db) if self.db is not None else None
        return OpenAIJudge.from_settings(self.settings, cache=cache, transport=self.transports.get("openai"))

    def classifier(self) -> Classifier:
        """Batch classifier ``profiles -> [Classification]`` (company data, then the LLM with a key,
        then offline rules)."""
        if self._classifier is not None:
            return self._classifier
        from .classify import classify_many

        llm = None
        if self.settings.openai_api_key:
            from .llm import OpenAIChat

            llm = OpenAIChat(self.settings)
        embedder = self.embedder
        return lambda profiles: classify_many(profiles, llm=llm, embedder=embedder)

    def provider(self, options: RunOptions, run_id: int | None = None) -> EnrichmentProvider:
        """The enrichment provider for a run's options; raises :class:`InvalidInput` for a missing
        export file or a missing ``APIFY_API_TOKEN``."""
        if self._provider is not None:
            return self._provider(options, run_id)
        from .enrich import get_provider

        if options.enrich == EnrichProvider.APIFY_JSON and not options.profiles_path:
            raise InvalidInput("--enrich apify-json needs the exported items file (--profiles ITEMS.json)")
        if options.enrich == EnrichProvider.APIFY and not self.settings.apify_api_token:
            raise InvalidInput("live Apify enrichment needs APIFY_API_TOKEN")
        return get_provider(options.enrich, settings=self.settings, db=self.db, run_id=run_id,
                            profiles_path=options.profiles_path)

    def fathom(self) -> FathomSource:
        """The Fathom External API client of this process (built once); raises
        :class:`InvalidInput` without ``FATHOM_API_KEY``."""
        with self._lock:
            if self._fathom is None:
                if not self.settings.fathom_api_key:
                    raise InvalidInput("reading meetings from Fathom needs FATHOM_API_KEY (Fathom settings -> API Access)")
                from .calls.fathom import FathomAPI

                self._fathom = FathomAPI(self.settings, transport=self.transports.get("fathom"),
                                         min_interval_s=self.settings.fathom_min_interval_s)
            return self._fathom

    def call_extractor(self, name: str | None = None) -> Extractor:
        """The extractor that reads discovery calls: ``"offline"`` or ``"openai"``; None picks
        ``openai`` when ``OPENAI_API_KEY`` is set, else ``offline``. Raises :class:`InvalidInput`
        for an unknown name or ``openai`` without a key."""
        from .calls import get_extractor

        kind = (name or ("openai" if self.settings.openai_api_key else "offline")).strip().lower()
        if kind.startswith("openai"):
            kind = "openai"
        kwargs: dict[str, Any] = {}
        if kind == "openai" and "openai" in self.transports:
            from .http import make_client

            kwargs["http_client"] = make_client(transport=self.transports["openai"],
                                                timeout_s=self.settings.http_timeout_s)
        try:
            return get_extractor(kind, self.settings, **kwargs)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None

    def run_context(self, options: RunOptions, run_id: int | None = None) -> RunContext:
        """Everything a run needs besides the database, for these options."""
        from .pipeline import RunContext

        return RunContext(
            provider=self.provider(options, run_id),
            scorer=self.scorer(options.reranker, options.rerank_top_n, judge=options.judge),
            embedder=self.embedder,
            classifier=self.classifier() if options.classify else None,
        )


def reranker_name(name: RerankerName | str | None) -> RerankerName:
    """``name`` as a :class:`RerankerName` (None and ``""`` mean ``none``); raises
    :class:`InvalidInput` for an unknown name."""
    try:
        return RerankerName((name or RerankerName.NONE).strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown reranker {name!r}; choose one of {', '.join(r.value for r in RerankerName)}") from None


def load_hook(spec: str) -> Callable[[Wiring], Any]:
    """The function named by ``"package.module:function"`` (``Settings.icp_wiring_hook``); raises
    :class:`InvalidInput` when it cannot be imported."""
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module.strip()), attr.strip() or "install")
    except (ImportError, AttributeError, ValueError) as exc:
        raise InvalidInput(f"ICP_WIRING_HOOK {spec!r} cannot be loaded: {exc}") from None
    if not callable(fn):
        raise InvalidInput(f"ICP_WIRING_HOOK {spec!r} is not a function")
    return fn
