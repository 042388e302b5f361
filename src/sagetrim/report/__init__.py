"""Renderers: terminal tables, JSON and CSV."""
