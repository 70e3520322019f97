"""Pure calculation: stdlib only. No I/O, no ORM, no web framework."""
