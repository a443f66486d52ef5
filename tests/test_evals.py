"""Evaluation metrics, the benchmark runner on a small own benchmark folder, client feedback."""

from __future__ import annotations

import json
import math

import pytest

from conftest import SHARED_BENCH
from icp_engine.domain import ICP, Profile, ScoreResult
from icp_engine.evals import (
    Benchmark,
    MemoEmbedder,
    auc,
    evaluate_benchmark,
    evaluate_feedback,
    format_table,
    ndcg_at_k,
    precision_at_k,
)


# ----------------------------------------------------------------------------- metrics


def test_ndcg_known_values():
    # perfect ranking
    assert ndcg_at_k([3, 2, 1], [2, 1, 0]) == pytest.approx(1.0)
    # gains 2^rel - 1: ranking [rel0, rel2] vs ideal [rel2, rel0]
    dcg = 3 / math.log2(3)
    assert ndcg_at_k([2, 1], [0, 2]) == pytest.approx(dcg / 3)
    # rel 1 first then rel 2
    got = ndcg_at_k([2, 1], [1, 2])
    assert got == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert ndcg_at_k([1, 2], [0, 0]) == 0.0
    assert ndcg_at_k([], []) == 0.0


def test_ndcg_cutoff_and_stable_ties():
    rels = [0] * 10 + [2]
    scores = [1.0] * 11  # all tied: input order kept, the rel-2 item is 11th -> outside the top 10
    assert ndcg_at_k(scores, rels, 10) == 0.0
    scores[-1] = 2.0
    assert ndcg_at_k(scores, rels, 10) == pytest.approx(1.0)


def test_precision_at_k_uses_k_as_denominator():
    assert precision_at_k([5, 4, 3], [2, 1, 2], k=10) == pytest.approx(0.2)
    assert precision_at_k([5, 4, 3], [2, 1, 2], k=2) == pytest.approx(0.5)
    assert precision_at_k([5, 4, 3], [2, 1, 2], k=2, min_rel=1) == pytest.approx(1.0)


def test_auc():
    assert auc([1, 2, 3, 4], [0, 0, 2, 2]) == 1.0
    assert auc([4, 3, 2, 1], [0, 0, 2, 2]) == 0.0
    assert auc([1, 1, 1, 1], [0, 2, 0, 2]) == 0.5
    assert auc([3, 1, 2, 2], [2, 0, 2, 0]) == pytest.approx(0.875)
    # rel 1 is ignored
    assert auc([1, 9, 2], [0, 1, 2]) == 1.0
    assert math.isnan(auc([1, 2], [2, 2]))
    assert auc([0.1, 0.9], [False, True]) == 1.0


# ----------------------------------------------------------------------------- benchmark runner


def _write_bench(d):
    queries = [
        {"qid": "t-q1", "track": "titles", "name": "Finance", "titles": ["CFO", "VP Finance"],
         "industries": [], "company_sizes": [], "keywords": [], "gold": {"secret": 1}},
        {"qid": "t-q2", "track": "titles", "name": "Engineering", "titles": ["Software Engineer"],
         "industries": [], "company_sizes": [], "keywords": [], "gold": {}},
        {"qid": "i-q1", "track": "industry", "name": "Software", "titles": [],
         "industries": ["Software Development"], "company_sizes": [], "keywords": [], "gold": {}},
    ]
    titles = ["Chief Financial Officer", "Vice President of Finance", "Finance Director", "Barista",
              "Backend Developer", "Senior Software Engineer", "Nurse", "Sales Manager"]
    pool = [{"pid": f"p{i}", "track": "titles", "split": "test", "title": t} for i, t in enumerate(titles)]
    pool += [{"pid": "p-dev", "track": "titles", "split": "dev", "title": "CFO"}]
    inds = ["Software Development", "Computer Games", "Computer Software", "Farming", "Banking",
            "Technology, Information and Media"]
    pool += [{"pid": f"i{i}", "track": "industry", "split": "test", "industry": t} for i, t in enumerate(inds)]
    qrels = [("t-q1", "p0", 2), ("t-q1", "p1", 2), ("t-q1", "p2", 2), ("t-q1", "p7", 1), ("t-q2", "p4", 2),
             ("t-q2", "p5", 2), ("i-q1", "i0", 2), ("i-q1", "i1", 2), ("i-q1", "i2", 2),
             ("i-q1", "i5", 1)]
    (d / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (d / "pool.jsonl").write_text("\n".join(json.dumps(p) for p in pool))
    (d / "qrels.tsv").write_text("\n".join(f"{q}\t0\t{p}\t{r}" for q, p, r in qrels))
    return d


@pytest.fixture(scope="module")
def wordllama():
    from icp_engine.embeddings.local import WordLlamaEmbedder

    return WordLlamaEmbedder()


def test_benchmark_load_hides_gold(tmp_path):
    b = Benchmark.load(_write_bench(tmp_path))
    assert all("gold" not in q for q in b.queries)
    assert b.qrels["t-q1"] == {"p0": 2, "p1": 2, "p2": 2, "p7": 1}
    assert len(b.candidates("titles", "test")) == 8 and len(b.candidates("titles", "dev")) == 1
    icp = b.icp_of(b.queries[0])
    assert isinstance(icp, ICP) and icp.target_titles == ["CFO", "VP Finance"]


def test_evaluate_benchmark_on_own_fixture(tmp_path, wordllama):
    from icp_engine.scoring.scorer import Scorer

    d = _write_bench(tmp_path)
    seen = []
    rows = evaluate_benchmark(d, "test", {"stage1": Scorer(wordllama)}, progress=seen.append)
    by = {r.track: r for r in rows}
    assert set(by) == {"titles", "industry"}
    assert by["titles"].queries == 2 and by["titles"].candidates == 8
    assert by["titles"].ndcg10 > 0.99  # rel-1 "Sales Manager" may sit under a rel-0 title
    assert by["titles"].auc == pytest.approx(1.0)
    assert by["industry"].ndcg10 > 0.95 and by["industry"].auc == pytest.approx(1.0)
    assert by["titles"].p10 == pytest.approx(0.25)  # 3 and 2 rel-2 per query, k = 10
    hi_n, hi_share = by["titles"].calib_hi
    assert hi_n >= 2 and hi_share == 1.0
    assert by["titles"].seconds > 0 and len(seen) == 3
    table = format_table(rows)
    assert table.splitlines()[0].startswith("| config | titles nDCG@10 / AUC")
    assert "| stage1 | 0.99" in table
    assert "stage1" in format_table(rows, markdown=False)


def test_evaluate_benchmark_component_comparison_with_fake_reranker(tmp_path, wordllama):
    from icp_engine.scoring.scorer import Scorer

    class Reverse:
        """A deliberately bad reranker: prefers what stage 1 dislikes."""

        name = "reverse"

        def rerank(self, query, documents):
            return [-float(i) for i in range(len(documents))][::-1]

    d = _write_bench(tmp_path)
    rows = evaluate_benchmark(d, "test", {
        "stage1": Scorer(wordllama),
        "stage1+reverse": lambda: Scorer(wordllama, reranker=Reverse(), rerank_top_n=3),
    }, tracks=["titles"])
    assert [r.config for r in rows] == ["stage1", "stage1+reverse"]
    assert rows[1].ndcg10 < rows[0].ndcg10


def test_evaluate_benchmark_errors(tmp_path, wordllama):
    from icp_engine.scoring.scorer import Scorer

    with pytest.raises(ValueError):
        evaluate_benchmark(tmp_path, "test", {})
    with pytest.raises(FileNotFoundError):
        evaluate_benchmark(tmp_path / "missing", "test", {"x": Scorer(wordllama)})


def test_memo_embedder_caches(wordllama):
    calls = []

    class Counting:
        name, dim = wordllama.name, wordllama.dim

        def embed(self, texts):
            calls.append(list(texts))
            return wordllama.embed(texts)

    m = MemoEmbedder(Counting())
    a = m.embed(["cfo", "vp finance", "cfo"])
    b = m.embed(["vp finance"])
    assert calls == [["cfo", "vp finance"]]
    assert (a[1] == b[0]).all() and a.shape == (3, wordllama.dim)


@pytest.mark.skipif(not (SHARED_BENCH / "queries.jsonl").is_file(), reason="../shared/bench absent")
def test_shared_benchmark_loads_and_has_expected_tracks():
    b = Benchmark.load(SHARED_BENCH)
    assert {q["track"] for q in b.queries} == {"onet", "esco_jobbert", "industry"}
    assert all("gold" not in q for q in b.queries)


# ----------------------------------------------------------------------------- feedback


def test_evaluate_feedback():
    rows = [
        {"icp_score": 91, "label": "keep"}, {"icp_score": 85, "label": "keep"},
        {"icp_score": 70, "label": "trash"}, {"icp_score": 65, "label": "keep"},
        {"icp_score": 30, "label": "trash"}, {"icp_score": 10, "label": "trash"},
        {"icp_score": 50, "label": "skip"}, {"icp_score": None, "label": "keep"},
    ]
    m = evaluate_feedback(rows)
    assert (m["n"], m["keep"], m["trash"]) == (6, 3, 3)
    assert m["auc"] == pytest.approx(8 / 9)
    assert m["p10"] == pytest.approx(0.3)
    assert 0 < m["ndcg10"] < 1
    assert m["by_bucket"]["strong"] == {"n": 2, "keep_rate": 1.0}
    assert m["by_bucket"]["poor"]["keep_rate"] == 0.0


def test_evaluate_feedback_accepts_objects_and_empty():
    class Row:
        def __init__(self, s, f):
            self.icp_score, self.feedback = s, f

    m = evaluate_feedback([Row(80, "keep"), Row(20, "trash")])
    assert m["auc"] == 1.0
    empty = evaluate_feedback([])
    assert empty["n"] == 0 and math.isnan(empty["auc"])


def test_evaluate_feedback_on_scored_leads(wordllama):
    """End to end: score invented leads, review them, measure."""
    from icp_engine.scoring.scorer import Scorer

    icp = ICP(target_titles=["CFO", "VP Finance"])
    leads = [("VP Finance at Corvane", "keep"), ("CFO | Brisket Labs", "keep"),
             ("Student at Halden University", "trash"), ("Barista at Bean There", "trash")]
    res: list[ScoreResult] = Scorer(wordllama).score(icp, [Profile(headline=h) for h, _ in leads])
    m = evaluate_feedback([{"icp_score": r.icp_score, "label": lab} for r, (_, lab) in zip(res, leads)])
    assert m["auc"] == 1.0
