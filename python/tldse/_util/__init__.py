"""Internal helpers shared by every package: crash-safe files and the progress
display. Not part of the public API."""
