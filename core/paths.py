"""Default locations: the shared data folder and the model registry, overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or install prefix) this package lives in."""

DATA_DIR_ENV = "TICKET_DATA_DIR"
REGISTRY_ENV = "TICKET_MODEL_REGISTRY"


def default_data_dir() -> Path:
    """``$TICKET_DATA_DIR``, else ``../shared/data`` beside the project checkout."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def default_models_dir() -> Path:
    """``models/`` in the checkout: the shipped registries (``classifier/``, ``forecaster/``) live below it."""
    return PROJECT_ROOT / "models"


def default_classifier_registry() -> Path:
    """The classifier registry: ``$TICKET_MODEL_REGISTRY``, else ``models/classifier``."""
    env = os.environ.get(REGISTRY_ENV)
    return Path(env) if env else default_models_dir() / "classifier"
