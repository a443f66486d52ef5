"""ICP Qualifier engine: ingestion, enrichment, embedding, reranking, classification and scoring
of LinkedIn followers against a client's Ideal Customer Profile (ICP), stored in PostgreSQL + pgvector.

The package never imports streamlit. The dashboard (``app.py``, ``pages/``) and the CLI
(``python -m icp_engine``) only call into it; :class:`icp_engine.engine.Engine` is the facade both use.

Pipeline stages, one module each:

* :mod:`icp_engine.ingest`      saved pages / Connections.csv / URL lists  -> followers
* :mod:`icp_engine.enrich`      followers -> profiles (page, apify-json, apify)
* :mod:`icp_engine.embeddings`  short texts -> unit vectors (wordllama offline, OpenAI with a key)
* :mod:`icp_engine.rerank`      optional second stage on the top N (local cross-encoder, Jina, Cohere)
* :mod:`icp_engine.classify`    industry and company type of a lead
* :mod:`icp_engine.scoring`     field-aware, calibrated 0-100 ``icp_score`` + ``match_reasoning``
* :mod:`icp_engine.pipeline`    resumable qualification runs recorded in Postgres
* :mod:`icp_engine.export`      ranked CSV
"""

__version__ = "0.1.0"
