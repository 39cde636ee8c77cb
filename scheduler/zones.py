"""Where zone rules come from, and turning a client's zone name into a ZoneInfo safely.

Zone rules change (Jordan, Syria, Egypt, Kazakhstan did in recent years), so the
service pins the ``tzdata`` package and makes it the only source: otherwise
``zoneinfo`` silently prefers whatever the host has in /usr/share/zoneinfo and the
version we report would be a lie.
"""

from __future__ import annotations

import functools
import importlib.metadata
import zoneinfo

from .time_errors import TimeInputError

__all__ = [
    "get_zone",
    "tzdata_package_version",
    "tzdata_version",
    "use_packaged_tzdata",
    "zone_names",
]

_MAX_NAME = 64  # the longest IANA names are ~32 characters


def use_packaged_tzdata() -> None:
    """Make the pinned ``tzdata`` package the only zone source (call once at start-up).

    Idempotent. When the search path really changes, ZoneInfo's cache is cleared
    so that no zone read from the system files survives; later calls change nothing,
    so ZoneInfo instances already in use stay the canonical ones.
    """
    if zoneinfo.TZPATH == ():
        return
    zoneinfo.reset_tzpath([])
    zoneinfo.ZoneInfo.clear_cache()
    zone_names.cache_clear()


def tzdata_version() -> str:
    """The IANA release of the zone rules in use, e.g. ``"2026f"`` (for /healthz)."""
    try:
        import tzdata
    except ImportError:  # pragma: no cover - tzdata is a pinned dependency
        return "unknown"
    return str(getattr(tzdata, "IANA_VERSION", "")) or tzdata_package_version()


def tzdata_package_version() -> str:
    """The version of the installed ``tzdata`` distribution, e.g. ``"2026.6"``."""
    try:
        return importlib.metadata.version("tzdata")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


@functools.cache
def zone_names() -> frozenset[str]:
    """Every zone name the current source knows (cached; reset by use_packaged_tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def get_zone(name: object, *, field: str = "timezone") -> zoneinfo.ZoneInfo:
    """The ZoneInfo for an IANA name, or TimeInputError naming ``field`` and the value.

    Names are checked against the known list before ``ZoneInfo`` sees them:
    ``ZoneInfo`` raises ValueError (not ZoneInfoNotFoundError) for "", "../x" or
    absolute paths, OSError-like errors for odd bytes, and on case-insensitive file
    systems would accept "europe/berlin" under a key nobody else recognises.
    """
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME:
        raise TimeInputError(field, name, _unknown_detail(name))
    if name not in zone_names():
        raise TimeInputError(field, name, _unknown_detail(name))
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimeInputError(field, name, _unknown_detail(name)) from exc


def _unknown_detail(name: object) -> str:
    shown = repr(name) if not isinstance(name, str) else f'"{name[:_MAX_NAME]}"'
    hint = ""
    if isinstance(name, str) and 0 < len(name) <= _MAX_NAME:
        folded = name.strip().casefold()
        matches = sorted(z for z in zone_names() if z.casefold() == folded)
        if matches:
            hint = f' Did you mean "{matches[0]}"?'
    return (
        f'{shown} is not a known IANA time zone; send a name like "Europe/Berlin" '
        f'or "Asia/Tbilisi" (tz database {tzdata_version()}).{hint}'
    )
