"""Names of the arrays in a padded batch: the contract between data, models and training.

A batch is a ``dict`` of numpy arrays (or MindSpore tensors) with these keys.  Shapes use
B = molecules/frames in the batch, N = bead capacity, K = neighbour capacity, R = relational
neighbour capacity, P = requested pair capacity (edge readout).  Padding is always masked:
padded beads have type 0; padded list entries point at index 0 and have mask False.

Models take their inputs positionally in the order of :data:`MODEL_INPUTS`.
"""
from __future__ import annotations

#: (B, N) int32 bead types from the global vocabulary, 0 = padding.
TYPES = "types"
#: (B, N, 3) float32 positions in Å.
POSITIONS = "positions"
#: (B, N) bool, True for real beads.
ATOM_MASK = "atom_mask"
#: (B, N, K) int32 geometric neighbour indices (within the same molecule) inside the cutoff.
NEIGHBOURS = "neighbours"
#: (B, N, K) bool, True for real neighbour entries.
NEIGHBOUR_MASK = "neighbour_mask"
#: (B, N, R) int32 relational neighbours (bonded + near in sequence) used by RME.
REL_NEIGHBOURS = "rel_neighbours"
#: (B, N, R) int32 relation codes of (i, rel_neighbours[i]) from ``topologies.relations``.
REL_CODES = "rel_codes"
#: (B, N, R) bool, True for real relational entries.
REL_MASK = "rel_mask"
#: (B, P, 2) int32 pairs for the edge readout (may lie beyond the geometric cutoff).
PAIRS = "pairs"
#: (B, P) int32 relation codes of PAIRS.
PAIR_CODES = "pair_codes"
#: (B, P) bool mask of PAIRS.
PAIR_MASK = "pair_mask"

# Targets
#: (B,) float32 energies in kcal/mol.
ENERGY = "energy"
#: (B, N, 3) float32 forces in kcal/mol/Å.
FORCES = "forces"
#: (B, P) float32 contact labels (0/1) for PAIRS.
CONTACTS = "contacts"
#: (B, L) float32 graph-level labels (QM9 properties), physical units of the data set.
LABELS = "labels"
#: (B,) int32 number of real beads per molecule.
N_BEADS = "n_beads"

#: Positional input order of every model's ``construct``.
MODEL_INPUTS = (TYPES, POSITIONS, ATOM_MASK, NEIGHBOURS, NEIGHBOUR_MASK,
                REL_NEIGHBOURS, REL_CODES, REL_MASK)

# Bookkeeping added by the data layer
#: (B, N, K, 3) float32 Å periodic image shift: r_ij = r[neighbours] − r_i + shift (box only).
NEIGHBOUR_SHIFTS = "neighbour_shifts"
#: (B,) bool, False for empty molecules that pad a batch to a fixed batch size.
SAMPLE_MASK = "sample_mask"
#: (B,) int64 index of each molecule's sample in its data set (−1 for padding).
SAMPLE_INDEX = "sample_index"
#: (B,) int64 index of the graph/system each sample comes from (−1 for padding).
SYSTEM_INDEX = "system_index"
#: (B,) int64 frame of the sample inside its graph (−1 for padding).
FRAME_INDEX = "frame_index"
