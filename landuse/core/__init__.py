"""Pure functions on GeoDataFrames: no files, no network, no global state."""
