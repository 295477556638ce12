"""Velox ml package."""
