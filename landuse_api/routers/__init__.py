"""Routers of the service: OGC API – Features (ogc) and land questions (land)."""
