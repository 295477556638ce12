"""Velox core package."""
