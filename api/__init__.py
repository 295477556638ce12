"""Velox api package."""
