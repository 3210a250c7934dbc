"""Training: losses, schedules, the trainer with exact resume, checkpoints and configurations.

Modules (import what you need; only :mod:`.config` and :mod:`.schema` work without MindSpore):

- :mod:`.schema`, :mod:`.config` — documented configuration keys; validation with
  ``ConfigError`` naming the key (closest known key suggested for typos);
- :mod:`.losses` — energy/force MSE/MAE, the unit-free energy+force loss, label loss, edge
  binary cross-entropy, ACT ponder cost, weighted sums;
- :mod:`.objective` — model + loss as one cell of the batch inputs and targets;
- :mod:`.step` — the compiled gradient step (``ms.jit``: second-order gradients), gradient
  clipping, optimiser state access;
- :mod:`.schedules` — constant, warm-up + inverse sqrt, cosine, reduce-on-plateau;
- :mod:`.trainer` — :class:`~.trainer.Trainer`: NaN guard, validation in physical units,
  best/last checkpoints, exact resume, wall-time budget, CSV/JSON logs, progress bar;
- :mod:`.checkpoint` — the atomic training-checkpoint file (``.npz`` + JSON, no pickle);
- :mod:`.metrics` — MAE/RMSE per target; :mod:`.run` — configuration → trainer, test
  evaluation; :mod:`.property_model` — multi-task atomwise + graph label model.

Command line: ``cgmolct train CONFIG [--resume]`` and ``cgmolct eval CHECKPOINT DATA``.
"""
