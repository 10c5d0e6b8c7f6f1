"""Gestures: built-in vocabulary (rules), trainable classifiers, dynamic motions and debounced events."""

from .classifier import DEFAULTS, GestureClassifier, TrainConfig, split_last, stratified_folds
from .dataset import LandmarkSet, load_dataset
from .dynamic import DynamicDetector, DynamicParams, Motion
from .events import Debouncer, GestureEvent
from .features import FEATURE_VERSION, batch_features, finger_state, finger_states, hand_features
from .recognizer import GestureRecognizer, annotate_stream, load_classifier, tunable
from .recording import HandShown, record, shown_first
from .rules import ALIASES, RuleClassifier, load_rules
from .segments import Segment, read_segments
from .training import GestureTrainer
from .trajectory import (
    TRAJECTORY_VERSION,
    TrajectoryHistory,
    drop_teleports,
    separation_features,
    trajectory_features,
    trajectory_row_features,
)
from .viewpoints import synthetic_views, viewpoint_features, with_views

__all__ = [
    "ALIASES",
    "DEFAULTS",
    "FEATURE_VERSION",
    "TRAJECTORY_VERSION",
    "Debouncer",
    "DynamicDetector",
    "DynamicParams",
    "GestureClassifier",
    "GestureEvent",
    "GestureRecognizer",
    "GestureTrainer",
    "HandShown",
    "LandmarkSet",
    "Motion",
    "RuleClassifier",
    "Segment",
    "TrainConfig",
    "TrajectoryHistory",
    "annotate_stream",
    "batch_features",
    "drop_teleports",
    "finger_state",
    "finger_states",
    "hand_features",
    "load_classifier",
    "load_dataset",
    "load_rules",
    "read_segments",
    "record",
    "separation_features",
    "shown_first",
    "split_last",
    "stratified_folds",
    "synthetic_views",
    "trajectory_features",
    "trajectory_row_features",
    "tunable",
    "viewpoint_features",
    "with_views",
]
