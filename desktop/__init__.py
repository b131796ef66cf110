"""Lampwright's desktop app (PySide6): views, Qt models and workers over the engine."""
