"""From a landmark dataset to a trained gesture model: features, synthetic viewpoints, cross-validation, hold-out.

``handpose gestures train`` is this module plus arguments; in Python::

    trainer = GestureTrainer(load_dataset("my_gestures.csv"))
    print(trainer.cross_validate(5))     # accuracy of each fold
    trainer.fit().save("my_gestures.npz")
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from ..errors import HandposeError
from ..results import Gesture
from .classifier import DEFAULTS, GestureClassifier, TrainConfig, split_last, stratified_folds
from .dataset import LandmarkSet
from .features import FEATURE_VERSION, batch_features, has_depth
from .trajectory import TRAJECTORY_VERSION, trajectory_row_features
from .viewpoints import viewpoint_features, with_views

log = logging.getLogger("handpose")

if TYPE_CHECKING:
    from tqdm import tqdm


def _progress_bar(desc: str, unit: str, enabled: bool) -> tqdm:
    from tqdm import tqdm

    return tqdm(desc=desc, unit=unit, disable=None if enabled else True, leave=False)


def share_right(gestures: list[Gesture], labels: np.ndarray) -> float:
    """Share of predictions that are the row's label (a rejected row, ``none``, counts as wrong)."""
    return float(np.mean(np.array([g.label for g in gestures]) == labels))


class GestureTrainer:
    """Trains gesture classifiers on one dataset; its features and synthetic views are computed once.

    ``config`` defaults to :data:`DEFAULTS` for the dataset's kind (``hand`` or ``trajectory``). Hand datasets get
    ``config.viewpoints`` synthetic views of every row (see :mod:`handpose.gestures.viewpoints`); a fit on some
    rows uses only those rows' views, so a held-out row never leaks into training. ``progress`` shows bars.
    """

    def __init__(self, data: LandmarkSet, config: TrainConfig | None = None, *, reject_threshold: float = 0.0,
                 progress: bool = False):
        if len(data) == 0:
            raise HandposeError("the dataset has no rows to train on")
        if data.kind not in DEFAULTS:
            raise HandposeError(f"unknown dataset kind {data.kind!r}; expected one of {', '.join(DEFAULTS)}")
        self.data, self.progress, self.reject_threshold = data, progress, reject_threshold
        self.config = config or TrainConfig(**DEFAULTS[data.kind].__dict__)
        self.y = np.array(data.labels)
        self.version = FEATURE_VERSION if data.kind == "hand" else TRAJECTORY_VERSION
        flat = ~has_depth(np.asarray(data.points)) if data.kind == "hand" else np.zeros(0, bool)
        # Hand shapes with depth (z) measure differently from the same hands flat. A model that learnt from 2D rows
        # (an imported CSV) is given x and y only, here and wherever it runs, so one flat row makes it 2D.
        self.depth = data.kind == "hand" and not flat.any()
        if flat.any() and not flat.all():
            log.warning("%d of %d rows have no depth (z), so the model uses x and y only", flat.sum(), len(flat))
        self.x = self._features(data.points, data.handedness, "features")
        self._views: np.ndarray | None = None

    def _features(self, points: list[np.ndarray] | np.ndarray, handedness: list[str | None], desc: str
                  ) -> np.ndarray:
        hand = self.data.kind == "hand"
        dims = 3 if self.depth else 2
        out = []
        with _progress_bar(desc, "hand" if hand else "trajectory", self.progress) as bar:
            bar.total = len(points)
            for i in range(0, len(points), 2048):
                part = points[i : i + 2048]
                out.append(batch_features(np.asarray(part)[:, :, :dims], handedness[i : i + 2048]) if hand
                           else np.stack([trajectory_row_features(p, len(self.data.keypoints)) for p in part]))
                bar.update(len(part))
        return np.concatenate(out)

    @property
    def views(self) -> np.ndarray | None:
        """Features (views, N, F) of every row's synthetic viewpoints, or None (trajectories, views off)."""
        cfg = self.config
        if self._views is None and self.data.kind == "hand" and cfg.viewpoints > 0:
            self._views = viewpoint_features(self.data.points, self.data.handedness, cfg.viewpoints,
                                             cfg.viewpoint_degrees, cfg.seed,
                                             features=lambda k, sides: self._features(k, sides, "viewpoints"))
        return self._views

    def fit(self, idx: np.ndarray | None = None, desc: str = "training") -> GestureClassifier:
        """A model trained on rows ``idx`` (all rows by default) and their synthetic views."""
        rows = np.arange(len(self.y)) if idx is None else np.asarray(idx)
        x, y = with_views(self.x, self.y, rows, self.views)
        with _progress_bar(desc, "epoch", self.progress) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            model = GestureClassifier.train(x, y, feature_kind=self.data.kind, feature_version=self.version,
                                             config=self.config, reject_threshold=self.reject_threshold,
                                             progress=progress)
        if self.data.kind == "trajectory":
            # the recognizer follows the same ones (one: its index, as models saved before several could be)
            kps = self.data.keypoints
            model.metadata["keypoint"] = kps[0] if len(kps) == 1 else list(kps)
        else:
            model.metadata["depth"] = self.depth
        return model

    def accuracy(self, model: GestureClassifier, idx: np.ndarray) -> float:
        """Share of rows ``idx`` that ``model`` labels right (a rejected row counts as wrong)."""
        return share_right(model.predict(self.x[idx]), self.y[idx])

    def cross_validate(self, folds: int = 5, idx: np.ndarray | None = None) -> list[float]:
        """Accuracy of each of ``folds`` stratified folds of rows ``idx`` (all rows by default); fewer folds when a
        label has fewer rows than that."""
        return self.cross_predict(folds, idx)[0]

    def cross_predict(self, folds: int = 5, idx: np.ndarray | None = None) -> tuple[list[float], list[Gesture]]:
        """:meth:`cross_validate`'s accuracies and every row's out-of-fold prediction (in the order of ``idx``):
        each row labelled by the model that did not train on it, as scikit-learn's ``cross_val_predict``."""
        rows = np.arange(len(self.y)) if idx is None else np.asarray(idx)
        if folds < 2:
            raise HandposeError(f"cross-validation needs at least 2 folds, got {folds}")
        labels, counts = np.unique(self.y[rows], return_counts=True)
        if counts.min() < 2:  # its only row would be validated on by a model that never saw the label
            raise HandposeError(f"cross-validation needs at least 2 rows of every label; "
                                f"{str(labels[counts.argmin()])!r} has {counts.min()}: record more of it, or skip "
                                "cross-validation")
        if counts.min() < folds:  # a fold without a row of that label would not test it
            log.warning("cross-validation in %d folds instead of %d: %r has only %d rows", counts.min(), folds,
                        str(labels[counts.argmin()]), counts.min())
            folds = int(counts.min())
        accs = []
        predicted: list[Gesture | None] = [None] * len(rows)
        for k, fold in enumerate(stratified_folds(self.y[rows], folds, self.config.seed)):
            test = rows[fold]
            model = self.fit(np.setdiff1d(rows, test), f"fold {k + 1}/{folds}")
            gestures = model.predict(self.x[test])
            accs.append(share_right(gestures, self.y[test]))
            for i, g in zip(np.asarray(fold).tolist(), gestures, strict=True):
                predicted[i] = g
        return accs, [g for g in predicted if g is not None]

    def split_last(self, fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """Train / test rows: the last ``fraction`` of each class's rows (in file order) are held out; every
        label must keep a training row."""
        train, test = split_last(self.y, fraction)
        missing = sorted(set(self.y.tolist()) - set(self.y[train].tolist()))
        if missing:
            raise HandposeError(f"holding out the last {fraction:.0%} of each label leaves no training rows of "
                                f"{', '.join(repr(str(m)) for m in missing)}: record more of it")
        return train, test

    def holdout_last(self, fraction: float = 0.25) -> tuple[GestureClassifier, float]:
        """Train on all but the last ``fraction`` of each class's rows (in file order), test on those."""
        train, test = self.split_last(fraction)
        model = self.fit(train)
        return model, self.accuracy(model, test)
