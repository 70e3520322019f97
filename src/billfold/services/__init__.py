"""Use cases: take a unit of work, load, call core, save. They raise domain errors and never commit."""
