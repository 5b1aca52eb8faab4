"""The registry of known export layouts (presets), by name.

Each preset lives in its own module here and exposes ``PRESET`` (a module for one
vendor's several exports exposes ``PRESETS``, a tuple). The modules are imported by
name; one that does not exist yet is skipped, so the registry holds exactly the
presets that are present.
"""

from __future__ import annotations

import importlib

from cxlens.errors import ConfigError
from cxlens.ingest.presets.base import Preset, Target

MODULES = (
    "zendesk",
    "freshdesk",
    "pwc_call_center",
    "kaggle_support_tickets",
    "servicenow_incidents",
    "ibm_telco",
    "zendesk_audits",
    "freshdesk_conversations",
    "chatwoot_messages",
    "cdnow",
    "online_retail",
    "chatwoot",
    "zammad",
)


def _load() -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for module in MODULES:
        try:
            loaded = importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{module}":
                raise
            continue
        for preset in getattr(loaded, "PRESETS", None) or (loaded.PRESET,):
            presets[preset.name] = preset
    return presets


PRESETS: dict[str, Preset] = _load()


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (``pwc_call_center`` and ``pwc-call-center`` alike)."""
    for known, preset in PRESETS.items():
        if _key(known) == _key(name):
            return preset
    listed = ", ".join(sorted(PRESETS)) or "none installed"
    raise ConfigError(f"unknown preset {name!r}; the known presets are: {listed}")


__all__ = ["PRESETS", "Preset", "Target", "get_preset"]
