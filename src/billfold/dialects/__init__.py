"""Vendor-compatible API shapes (Aira, Sequence, Orb, Alguna), each thin over the same services."""
