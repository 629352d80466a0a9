"""The demo book: a deterministic generator and a bundled sample of its output."""
