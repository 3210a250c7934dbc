"""A shuffling batch iterator whose position and RNG state can be saved and restored.

Exact resume of training needs the data order too: :meth:`BatchIterator.state_dict`
returns a JSON-able dict (epoch, batches already served in this epoch, and the RNG state
at the start of the epoch); :meth:`BatchIterator.load_state_dict` continues with exactly
the batches an uninterrupted run would have seen.

Examples
--------
>>> import numpy as np
>>> it = IndexIterator(10, batch_size=4, seed=3)
>>> first = next(iter(it)); state = it.state_dict()
>>> rest = [b.tolist() for b in it]
>>> again = IndexIterator(10, batch_size=4, seed=99); again.load_state_dict(state)
>>> [b.tolist() for b in again] == rest
True
"""
from __future__ import annotations

import copy
from typing import Dict, Iterator, Optional

import numpy as np

from ..errors import DataError

__all__ = ["IndexIterator", "BatchIterator"]


class IndexIterator:
    """Index batches over ``range(n)``, reshuffled every epoch.

    Iterating yields the remaining batches of the current epoch (int64 arrays), then
    moves to the next epoch; a new ``for`` loop starts where the last one stopped.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
    shuffle : bool
        New permutation every epoch (default True).
    seed : int
        Seed of the NumPy PCG64 generator.
    drop_last : bool
        Drop a last batch smaller than ``batch_size`` (constant shapes for graph mode).
    """

    def __init__(self, n: int, batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False):
        if int(n) <= 0:
            raise DataError(f"cannot iterate over {n} samples")
        if int(batch_size) <= 0:
            raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.n, self.batch_size = int(n), int(batch_size)
        self.shuffle, self.drop_last, self.seed = bool(shuffle), bool(drop_last), int(seed)
        if self.drop_last and self.n < self.batch_size:
            raise DataError(f"drop_last with batch_size {batch_size} > {n} samples gives no batch")
        self._rng = np.random.Generator(np.random.PCG64(self.seed))
        self.epoch = 0
        self.position = 0
        self._epoch_state = copy.deepcopy(self._rng.bit_generator.state)
        self._order: Optional[np.ndarray] = None

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def _current_order(self) -> np.ndarray:
        if self._order is None:
            self._rng.bit_generator.state = copy.deepcopy(self._epoch_state)
            self._order = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        return self._order

    def _next_epoch(self) -> None:
        self._current_order()  # make sure the generator has advanced past this epoch
        self.epoch += 1
        self.position = 0
        self._epoch_state = copy.deepcopy(self._rng.bit_generator.state)
        self._order = None

    def __iter__(self) -> Iterator[np.ndarray]:
        order = self._current_order()
        while self.position < len(self):
            start = self.position * self.batch_size
            self.position += 1
            yield order[start:start + self.batch_size].astype(np.int64)
        self._next_epoch()

    def state_dict(self) -> Dict:
        """JSON-able state: seed, epoch, position and the epoch's starting RNG state."""
        return {"n": self.n, "batch_size": self.batch_size, "shuffle": self.shuffle,
                "drop_last": self.drop_last, "seed": self.seed, "epoch": self.epoch,
                "position": self.position, "rng_state": copy.deepcopy(self._epoch_state)}

    def load_state_dict(self, state: Dict) -> None:
        """Restore a :meth:`state_dict` (same n, batch size and shuffling required)."""
        try:
            for key in ("n", "batch_size", "shuffle", "drop_last"):
                if state[key] != getattr(self, key):
                    raise DataError(f"iterator state has {key} = {state[key]!r}; this iterator "
                                    f"has {getattr(self, key)!r}")
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = copy.deepcopy(state["rng_state"])
            epoch, position = int(state["epoch"]), int(state["position"])
        except DataError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"iterator state is incomplete or corrupt ({exc!r})") from None
        if not 0 <= position <= len(self):
            raise DataError(f"iterator state position {position} is outside [0, {len(self)}]")
        self.seed = int(state["seed"])
        self._rng, self.epoch, self.position = rng, epoch, position
        self._epoch_state = copy.deepcopy(state["rng_state"])
        self._order = None


class BatchIterator(IndexIterator):
    """Padded batches of a :class:`~cgmolct.data.dataset.MolecularDataset`, resumable.

    Parameters
    ----------
    dataset : MolecularDataset (or any object with ``__len__`` and ``batch(indices)``)
    batch_size, shuffle, seed, drop_last
        As in :class:`IndexIterator`.
    **batch_options
        Passed to ``dataset.batch`` (cutoff, capacities, ``batch_capacity`` ...).
    """

    def __init__(self, dataset, batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False, **batch_options):
        super().__init__(len(dataset), batch_size, shuffle=shuffle, seed=seed,
                         drop_last=drop_last)
        self.dataset = dataset
        self.batch_options = batch_options

    def indices(self) -> Iterator[np.ndarray]:
        """The index batches (without collating)."""
        return IndexIterator.__iter__(self)

    def __iter__(self):
        for idx in IndexIterator.__iter__(self):
            yield self.dataset.batch(idx, **self.batch_options)
