"""Service settings: environment variables under the prefix ``LANDUSE_``."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """What the service serves and how (``LANDUSE_STORE=park.gpkg`` etc.)."""

    model_config = SettingsConfigDict(env_prefix="LANDUSE_", env_file=".env", extra="ignore")

    store: str = Field(default="park.gpkg", description="GeoPackage store to serve")
    database_url: str | None = Field(default=None,
                                     description="postgresql://... (overrides store)")
    default_limit: int = Field(default=100, ge=1)
    max_limit: int = Field(default=1000, ge=1)
    max_download: int = Field(default=200_000, ge=1,
                              description="most features in one download")
    read_requires_key: bool = Field(default=False,
                                    description="reads need a viewer or editor key")
    number_matched: bool = Field(
        default=True, description="give numberMatched when cheap (unfiltered) or asked for"
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    title: str = "landuse 园区土地 API"
    as_of: dt.date | None = Field(
        default=None,
        description="date the parcels' assessment fields are for (LANDUSE_AS_OF=2023-10-31 "
        "for reproducible answers); default the server's today",
    )

    heavy_max: int = Field(default=2, ge=1, description="most heavy requests (reports, "
                           "indicators, assessments) computed at once; more get 503")
    heavy_deadline_s: float = Field(default=60.0, gt=0, description="seconds a heavy "
                                    "request waits for its answer before 504")
    heavy_retry_after: int = Field(default=5, ge=1, description="Retry-After (s) on 503/504")
    heavy_cache_bytes: int = Field(default=256_000_000, ge=0, description="bytes of heavy "
                                   "answers kept (LRU; a write empties it)")
    job_min_parcels: int = Field(default=20_000, ge=0, description="reports over this many "
                                 "parcels run as jobs (202 and /jobs/{id})")
    jobs_kept: int = Field(default=100, ge=1, description="finished jobs remembered")
    warm: bool = Field(default=True, description="make the assessment when the server starts")
    pmtiles: str | None = Field(default=None, description="PMTiles archive served at "
                                "/tiles/province.pmtiles with range requests")
    heavy_processes: bool = Field(default=True, description="make heavy answers in worker "
                                  "processes (false: threads of the request process)")
    incremental: bool = Field(default=True, description="after a write re-assess only the "
                              "parcels it touched (false: the whole zone, as before; for "
                              "comparisons)")

    @property
    def target(self) -> str:
        """The store to open: the database URL when set, else the GeoPackage path."""
        return self.database_url or self.store


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment (cached)."""
    return Settings()
