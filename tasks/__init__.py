"""Velox tasks package."""
