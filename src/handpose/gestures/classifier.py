"""Trainable gesture classifiers (MLP, linear SVM, k-NN) in NumPy, with rejection, saved as one safe file.

A model file is a ``.npz`` of plain arrays plus a JSON metadata string (labels, feature kind and version,
training details); it is read with ``allow_pickle=False``, so loading one never executes code from it.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HandposeError
from ..outputs import make_folder, whole_file
from ..results import Gesture

MODEL_TYPES = ("mlp", "svm", "knn")
FORMAT = "handpose-gesture-model"
FORMAT_VERSION = 1


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


class _Adam:
    def __init__(self, params: list[np.ndarray], lr: float):
        self.params, self.lr = params, lr
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + 1e-8)


@dataclass
class TrainConfig:
    model: str = "mlp"
    hidden: tuple[int, ...] = (128, 64)
    epochs: int = 120
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    k: int = 5
    seed: int = 0
    noise: float = 0.0  # std of Gaussian noise added to the standardized inputs while training (robustness)
    ensemble: int = 1  # networks trained from different seeds, probabilities averaged
    # hand shapes: synthetic out-of-plane views per training hand. train() gets features, not hands, so the caller
    # adds the views (viewpoint_features + with_views, as `handpose gestures train` does)
    viewpoints: int = 0
    viewpoint_degrees: float = 45.0  # their largest rotation about each image axis


# Defaults measured on the shared landmark CSVs, last 25 % of each class held out (see the README).
DEFAULTS = {
    "hand": TrainConfig(model="mlp", hidden=(256,), epochs=40, weight_decay=1e-2, noise=0.3, ensemble=5,
                        viewpoints=3),
    "trajectory": TrainConfig(model="mlp", hidden=(128, 64), epochs=120, weight_decay=1e-4, ensemble=5),
}


@dataclass
class GestureClassifier:
    """A trained classifier over feature vectors; ``predict_proba`` gives class probabilities."""

    model: str
    labels: list[str]
    feature_kind: str  # "hand" or "trajectory"
    feature_version: int
    mean: np.ndarray
    std: np.ndarray
    arrays: dict[str, np.ndarray]
    reject_threshold: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    kind = "trained"

    # -- training ------------------------------------------------------------------------------------------
    @classmethod
    def train(cls, x: np.ndarray, y: list[str] | np.ndarray, *, feature_kind: str, feature_version: int,
              config: TrainConfig | None = None, reject_threshold: float = 0.0,
              progress: Callable[[int, int], None] | None = None) -> GestureClassifier:
        cfg = config or TrainConfig()
        if cfg.model not in MODEL_TYPES:
            raise HandposeError(f"unknown model type {cfg.model!r}; choose one of {', '.join(MODEL_TYPES)}")
        labels = sorted({str(v) for v in y})
        if len(labels) < 2:
            raise HandposeError(f"training needs at least two labels, got {labels}")
        yi = np.array([labels.index(str(v)) for v in y])
        x = np.asarray(x, np.float32)
        mean, std = x.mean(0), x.std(0) + 1e-6
        xs = (x - mean) / std
        t0 = time.time()
        if cfg.model == "knn":
            arrays = {"x": xs.astype(np.float32), "y": yi.astype(np.int32), "k": np.array(cfg.k)}
        else:
            arrays = {}
            members = max(1, cfg.ensemble)
            for j in range(members):
                member_cfg = TrainConfig(**{**cfg.__dict__, "seed": cfg.seed + j})

                def member_progress(done: int, total: int, j: int = j) -> None:
                    if progress:
                        progress(j * total + done, members * total)

                net = _fit_net(xs, yi, len(labels), member_cfg, member_progress)
                arrays.update({f"m{j}.{k}": v for k, v in net.items()})
        meta = {"trained": time.strftime("%Y-%m-%dT%H:%M:%S"), "samples": len(x), "seconds": time.time() - t0,
                "config": {**cfg.__dict__, "hidden": list(cfg.hidden)},
                "class_counts": {lab: int((yi == i).sum()) for i, lab in enumerate(labels)}}
        return cls(cfg.model, labels, feature_kind, feature_version, mean, std, arrays, reject_threshold, meta)

    # -- inference -----------------------------------------------------------------------------------------
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if x.ndim == 1:  # one feature vector, e.g. hand_features(keypoints)
            x = x[None]
        if x.ndim != 2 or x.shape[1] != len(self.mean):
            raise HandposeError(f"expected features of shape (n, {len(self.mean)}) for this {self.feature_kind} "
                                f"model, got {x.shape}")
        xs = (x - self.mean) / self.std
        if self.model == "knn":
            ref, ry, k = self.arrays["x"], self.arrays["y"], int(self.arrays["k"])
            d = ((xs[:, None, :] - ref[None]) ** 2).sum(-1) if len(xs) * len(ref) < 4_000_000 else _chunked_d2(xs, ref)
            idx = np.argsort(d, 1)[:, :k]
            w = 1.0 / (np.sqrt(np.take_along_axis(d, idx, 1)) + 1e-6)
            p = np.zeros((len(xs), len(self.labels)))
            np.add.at(p, (np.repeat(np.arange(len(xs)), k), ry[idx].ravel()), w.ravel())
            return p / p.sum(1, keepdims=True)
        # all members at once: (members, rows, classes)
        return _softmax(_forward(self._stacked, xs, self.model)[-1]).mean(0)

    @cached_property
    def _stacked(self) -> dict[str, np.ndarray]:
        """The ensemble's networks stacked: W (members, in, out) and b (members, 1, out), split once."""
        nets: dict[str, dict[str, np.ndarray]] = {}
        for key, value in self.arrays.items():
            if "." in key:
                member, name = key.split(".", 1)
                nets.setdefault(member, {})[name] = value
        members = list(nets.values())
        stacked = {name: np.stack([m[name] for m in members]) for name in members[0]}
        return {name: a if name.startswith("W") else a[:, None] for name, a in stacked.items()}

    def predict(self, x: np.ndarray) -> list[Gesture]:
        p = self.predict_proba(x)
        out = []
        for row in p:
            i = int(row.argmax())
            label = self.labels[i] if row[i] >= self.reject_threshold else "none"
            out.append(Gesture(label, float(row[i])))
        return out

    @property
    def uses_depth(self) -> bool:
        """Hand shapes: trained on keypoints with depth (z). A model trained on 2D rows (an imported CSV) is given
        x and y only, as the features of a hand with depth differ from those of the same hand flat."""
        return bool(self.metadata.get("depth", True))

    def check_features(self, kind: str, version: int) -> None:
        if kind != self.feature_kind or version != self.feature_version:
            raise HandposeError(f"this gesture model was trained on {self.feature_kind} features v"
                                f"{self.feature_version}, not {kind} v{version}: retrain it with "
                                "'handpose gestures train'")

    # -- file ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        p = Path(path)
        if p.suffix != ".npz":
            p = p.with_suffix(".npz")
        if p.exists() and not overwrite:
            raise HandposeError(f"{p} exists; pass --overwrite to replace it")
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": self.model, "labels": self.labels,
                "feature_kind": self.feature_kind, "feature_version": self.feature_version,
                "reject_threshold": self.reject_threshold, "metadata": self.metadata}
        make_folder(p.parent)
        payload = {"__meta__": np.array(json.dumps(meta)), "mean": self.mean, "std": self.std,
                   **{f"a_{k}": v for k, v in self.arrays.items()}}
        with whole_file(p, binary=True) as f:
            np.savez(f, allow_pickle=False, **payload)  # type: ignore[arg-type]  # the stub mistypes **kwds
        return p

    @classmethod
    def load(cls, path: str | Path) -> GestureClassifier:
        p = Path(path)
        if p.is_file() and not zipfile.is_zipfile(p):  # np.load would try it as a pickle and suggest unpickling it
            raise HandposeError(f"{p} is not a handpose gesture model (not an .npz archive)")
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(str(z["__meta__"]))
                arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")}
                mean, std = z["mean"], z["std"]
        except FileNotFoundError as e:
            raise HandposeError(f"gesture model not found: {p}") from e
        except (OSError, ValueError, KeyError) as e:
            raise HandposeError(f"{p} is not a handpose gesture model ({e})") from e
        if meta.get("format") != FORMAT:
            raise HandposeError(f"{p} is not a handpose gesture model")
        if meta.get("format_version", 0) > FORMAT_VERSION:
            raise HandposeError(f"{p} was written by a newer handpose (format {meta['format_version']})")
        return cls(meta["model"], meta["labels"], meta["feature_kind"], meta["feature_version"], mean, std, arrays,
                   meta.get("reject_threshold", 0.0), meta.get("metadata", {}))


def _chunked_d2(xs: np.ndarray, ref: np.ndarray, chunk: int = 256) -> np.ndarray:
    return np.concatenate([((xs[i : i + chunk, None, :] - ref[None]) ** 2).sum(-1) for i in range(0, len(xs), chunk)])


def _forward(arrays: dict[str, np.ndarray], x: np.ndarray, model: str) -> list[np.ndarray]:
    acts = [x]
    n = sum(1 for k in arrays if k.startswith("W"))
    h = x
    for i in range(n):
        h = h @ arrays[f"W{i}"] + arrays[f"b{i}"]
        if i < n - 1:
            h = np.maximum(h, 0)
        acts.append(h)
    return acts


def _fit_net(x: np.ndarray, y: np.ndarray, classes: int, cfg: TrainConfig,
             progress: Callable[[int, int], None] | None) -> dict[str, np.ndarray]:
    """MLP (softmax cross-entropy) or linear SVM (one-vs-rest squared hinge), trained with Adam."""
    rng = np.random.default_rng(cfg.seed)
    sizes = [x.shape[1], *(cfg.hidden if cfg.model == "mlp" else ()), classes]
    arrays: dict[str, np.ndarray] = {}
    for i in range(len(sizes) - 1):
        arrays[f"W{i}"] = (rng.normal(0, np.sqrt(2.0 / sizes[i]), (sizes[i], sizes[i + 1]))).astype(np.float32)
        arrays[f"b{i}"] = np.zeros(sizes[i + 1], np.float32)
    names = sorted(arrays)
    opt = _Adam([arrays[k] for k in names], cfg.lr)
    onehot = np.eye(classes, dtype=np.float32)[y]
    # balance classes: each class weighs the same in the loss
    counts = np.bincount(y, minlength=classes).astype(np.float32)
    sample_w = (len(y) / (classes * np.maximum(counts, 1)))[y]
    n_layers = len(sizes) - 1
    for epoch in range(cfg.epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), cfg.batch):
            idx = order[s : s + cfg.batch]
            xb = x[idx]
            if cfg.noise:
                xb = xb + rng.normal(0, cfg.noise, xb.shape).astype(np.float32)
            acts = _forward(arrays, xb, cfg.model)
            out, t, w = acts[-1], onehot[idx], sample_w[idx][:, None]
            if cfg.model == "mlp":
                g = (_softmax(out) - t) * w / len(idx)
            else:  # squared hinge, targets +1 / -1
                sign = 2 * t - 1
                margin = np.maximum(0, 1 - sign * out)
                g = -2 * sign * margin * w / len(idx)
            grads: dict[str, np.ndarray] = {}
            for i in reversed(range(n_layers)):
                grads[f"W{i}"] = acts[i].T @ g + cfg.weight_decay * arrays[f"W{i}"]
                grads[f"b{i}"] = g.sum(0)
                if i:
                    g = (g @ arrays[f"W{i}"].T) * (acts[i] > 0)
            opt.step([grads[k] for k in names])
        if progress:
            progress(epoch + 1, cfg.epochs)
    return arrays


def stratified_folds(y: np.ndarray, k: int, seed: int = 0) -> list[np.ndarray]:
    """Indices of k folds with every class spread evenly."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        for i, j in enumerate(idx):
            folds[i % k].append(int(j))
    return [np.array(sorted(f), np.int64) for f in folds]


def split_last(y: np.ndarray, fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Train / test indices: the last ``fraction`` of each class's rows (in file order) is the test set.

    Rows recorded in sequence are strongly correlated; holding out the end tests generalisation, a random split
    would mostly test memory.
    """
    if not 0.0 < fraction < 1.0:
        raise HandposeError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    train, test = [], []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        cut = len(idx) - max(1, round(len(idx) * fraction))
        train += idx[:cut].tolist()
        test += idx[cut:].tolist()
    return np.array(sorted(train), np.int64), np.array(sorted(test), np.int64)
