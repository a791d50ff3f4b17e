"""The version string, from package metadata (falls back for a source tree or a bundle)."""


def version() -> str:
    try:
        from importlib.metadata import version as _v
        return _v("gan-explorer")
    except Exception:
        return "0.1.0"
