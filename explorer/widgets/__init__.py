"""Reusable Qt widgets of the explorer (no model logic)."""
