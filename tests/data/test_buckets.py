"""The capacity ladder is fine-grained for large systems (memory grows with the padding)."""
from __future__ import annotations

import numpy as np

from cgmolct.data.buckets import DEFAULT_BUCKETS, FINE_FROM, bucket_capacity


def test_large_capacities_pad_at_most_one_eighth():
    assert bucket_capacity(5000) == 5120 and bucket_capacity(1025) == 1152
    sizes = np.arange(FINE_FROM + 1, 70_000, 37)
    caps = np.array([bucket_capacity(int(n)) for n in sizes])
    assert np.all(caps >= sizes) and np.all(caps <= sizes * 1.125)
    # the coarse part below 1024 is unchanged: 1.5x steps keep the number of compiles small
    assert [b for b in DEFAULT_BUCKETS if b <= 1024] == [8, 12, 16, 24, 32, 48, 64, 96, 128, 192,
                                                         256, 384, 512, 768, 1024]
