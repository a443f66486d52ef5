"""Company-size criterion: LinkedIn size bands, named sizes, adjacent-band partial credit.

Bands (LinkedIn ``employeeCountRange`` buckets, :data:`icp_engine.domain.SIZE_BANDS`):
1-10, 11-50, 51-200, 201-500, 501-1000, 1001-5000, 5001-10000, 10001+. ICP entries may be band
labels, free ranges (``"100-1000 employees"``) or named sizes (``startup``, ``smb``,
``mid-market``, ``enterprise``...), resolved by :func:`icp_engine.taxonomy.resolve_size_bands`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..domain import SIZE_BANDS
from ..taxonomy import parse_size_band, resolve_size_bands

#: Credit by distance (in bands) between the lead's band and the nearest target band.
BAND_DISTANCE_CREDIT: tuple[float, ...] = (1.0, 0.5, 0.15)


def target_bands(entries: Iterable[str]) -> list[str]:
    """Union of the bands of ICP ``company_sizes`` entries, in :data:`SIZE_BANDS` order.

    Unknown entries are ignored; ``[]`` means size is not a criterion.
    """
    got: set[str] = set()
    for e in entries:
        got.update(resolve_size_bands(e))
    return [b for b in SIZE_BANDS if b in got]


def lead_band(size: str | None) -> str | None:
    """The band of a lead's ``company_size`` (a band label or LinkedIn display text), else None."""
    if not size:
        return None
    s = str(size).strip()
    if s in SIZE_BANDS:
        return s
    return parse_size_band(s)


def size_fit(band: str | None, targets: Sequence[str]) -> float | None:
    """Size fit in [0, 1]: 1.0 inside a target band, 0.5 one band away, 0.15 two away, else 0.

    Returns None when the lead's band is unknown or ``targets`` is empty (not a criterion).
    """
    if band is None or not targets or band not in SIZE_BANDS:
        return None
    i = SIZE_BANDS.index(band)
    dist = min(abs(i - SIZE_BANDS.index(t)) for t in targets)
    return BAND_DISTANCE_CREDIT[dist] if dist < len(BAND_DISTANCE_CREDIT) else 0.0
