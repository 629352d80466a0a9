"""Prompt templates, as versioned data files (name.vN.md) next to this module; none ships yet."""
