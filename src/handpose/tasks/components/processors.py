"""``ClassifierOptions``: which gestures a recognizer may report, and from which score."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import HandposeError


@dataclass
class ClassifierOptions:
    """``score_threshold``: a gesture scored lower is reported as ``"None"``; ``category_allowlist`` /
    ``category_denylist``: gestures outside / inside the list are reported as ``"None"`` (set one of the two).
    ``max_results`` and ``display_names_locale`` are accepted for MediaPipe's sake: one gesture per hand is
    reported (the best), and its display name is empty."""

    display_names_locale: str | None = None
    max_results: int | None = None
    score_threshold: float | None = None
    category_allowlist: list[str] | None = None
    category_denylist: list[str] | None = None

    def check(self, labels: list[str], what: str) -> None:
        """Refuse options that could never be met, naming the ``labels`` the classifier knows."""
        if self.category_allowlist and self.category_denylist:
            raise HandposeError(f"{what}: set category_allowlist or category_denylist, not both")
        if self.score_threshold is not None and not 0 <= self.score_threshold <= 1:
            raise HandposeError(f"{what}: score_threshold is a probability in [0, 1], got {self.score_threshold}")
        if self.max_results is not None and self.max_results == 0:
            raise HandposeError(f"{what}: max_results must be positive (or -1 / None for all), got 0")
        unknown = sorted((set(self.category_allowlist or []) | set(self.category_denylist or [])) - set(labels))
        if unknown:
            raise HandposeError(f"{what}: unknown gesture(s) {unknown}; this recognizer knows {labels}")

    def allowed(self, label: str) -> bool:
        if self.category_allowlist:
            return label in self.category_allowlist
        return label not in (self.category_denylist or [])
