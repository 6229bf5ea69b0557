"""The landuse web service (FastAPI): OGC API – Features for parcels and the ledger, plus
task endpoints. Run with ``landuse serve STORE`` or ``uvicorn landuse_api.main:app``."""
