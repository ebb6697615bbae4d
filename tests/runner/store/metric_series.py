"""Compare the store's per-key numeric index with what decoding every JSON record gives."""

from __future__ import annotations

import math
from typing import Any

from runner.metadata import numeric, record_time
from runner.store.metric_index import TIME_KEY, StoredMetrics, unpack

Series = dict[str, list[tuple[int, float | str]]]


def _same(value: float) -> float | str:
    return "nan" if math.isnan(value) else value  # NaN != NaN; compare its name


def series_of(stored: StoredMetrics) -> Series:
    """key -> [(record index, value)] of what the index holds (``_time`` included)."""
    records = list(unpack("q", stored.record_seqs)) if stored.record_seqs else list(range(stored.records))
    out: Series = {}
    for key, points in stored.keys.items():
        seqs = list(unpack("q", points.seqs)) if points.seqs is not None else records
        values = list(unpack("d", points.values))
        assert len(seqs) == len(values), key
        position = {s: i for i, s in enumerate(records)}
        out[key] = [(position[s], _same(v)) for s, v in zip(seqs, values, strict=True)]
    return out


def series_from_json(records: list[dict[str, Any]]) -> Series:
    out: Series = {TIME_KEY: [(i, _same(record_time(r.get(TIME_KEY)))) for i, r in enumerate(records)]}
    for i, record in enumerate(records):
        for key, value in record.items():
            num = numeric(value)
            if num is not None and key != TIME_KEY:
                out.setdefault(key, []).append((i, _same(num)))
    return out
