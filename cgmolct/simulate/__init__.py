"""Langevin simulation of CG models: BAOAB, replicas as the batch axis, compiled loops.

- :class:`CGPotential` — network energy + priors, one force gradient (:mod:`.potential`)
- :class:`LangevinLoop` — k BAOAB steps of all replicas in one compiled graph (:mod:`.integrator`)
- :class:`ReplicaNeighbours` — all-pairs or skin neighbour lists with fixed shapes (:mod:`.neighbours`)
- :class:`Simulation` — the run: start frames, seeds, files, restarts, blow-up checks (:mod:`.runner`)
- :class:`TemperatureLadder` — parallel-tempering swaps (:mod:`.tempering`)
- :func:`save_state` / :func:`load_state` — restart files (:mod:`.state`)
- :func:`load_trajectory` / :func:`trajectory_files` — the DCD output (:mod:`.writers`)

Units: Å, ps, amu, K, kcal/mol; velocities Å/ps.  Importing this package loads MindSpore.
"""
from ..errors import SimulationError
from .integrator import ACCELERATION, ForceCall, LangevinLoop, baoab_coefficients
from .neighbours import ReplicaNeighbours
from .potential import CGPotential, check_smooth
from .runner import RunResult, Simulation
from .state import SimulationState, load_state, save_state
from .tempering import TemperatureLadder
from .writers import cg_universe, load_trajectory, trajectory_files

__all__ = ["CGPotential", "check_smooth", "LangevinLoop", "ForceCall", "ACCELERATION",
           "baoab_coefficients", "ReplicaNeighbours", "Simulation", "RunResult",
           "SimulationState", "save_state", "load_state", "load_trajectory", "trajectory_files",
           "cg_universe", "TemperatureLadder", "SimulationError"]
