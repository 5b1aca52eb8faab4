"""Phone numbers in one written form (E.164, e.g. ``+8613800138000``).

A number written without a country code is read in the project's region: the
``[project] region`` setting (an ISO country code such as ``CN``) where given, else the
country of the project's time zone (``Asia/Shanghai`` → ``CN``, from the tz database's
``zone.tab``), else ``US``.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from cxlens.errors import ConfigError
from cxlens.settings import Settings

log = logging.getLogger(__name__)

FALLBACK_REGION = "US"


def default_region(settings: Settings) -> str:
    """The region in which numbers without a country code are read."""
    configured = settings.raw.get("project", {}).get("region")
    if configured:
        import phonenumbers

        region = str(configured).strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError(
                f"[project] region {configured!r} is not a country code phone numbers know; "
                "use a two-letter ISO code such as 'CN' or 'US'",
                settings.config_path,
            )
        return region
    return _zone_countries().get(settings.timezone, FALLBACK_REGION)


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone → the country it belongs to, from the tz database's ``zone.tab``."""
    from importlib import resources

    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        log.debug("tzdata's zone.tab not found; phone region falls back to %s", FALLBACK_REGION)
        return {}
    countries = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) >= 3:
                countries[fields[2]] = fields[0]
    return countries


def normalise_phone(text: str, region: str) -> tuple[str | None, bool]:
    """``(E.164 form, True)`` for a recognisable number; ``(trimmed text, False)`` otherwise.

    A number is recognised when ``phonenumbers`` can parse it and its length is possible
    for its country; unrecognised text is kept as written (trimmed), never dropped.
    Blank text becomes ``None``.
    """
    import phonenumbers

    trimmed = text.strip()
    if not trimmed:
        return None, True
    try:
        number = phonenumbers.parse(trimmed, region)
    except phonenumbers.NumberParseException:
        return trimmed, False
    if not phonenumbers.is_possible_number(number):
        return trimmed, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
