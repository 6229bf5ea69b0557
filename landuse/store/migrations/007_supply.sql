-- 007: land supply, reserve, quotas and disposal targets (domain.md §11): one table per
-- record kind of the standard (landuse/data/standard.toml, the record layers), named as its
-- collection in landuse.store.schema.COLLECTIONS; dates are ISO text as elsewhere. Rows are
-- written by 'landuse supply import' (all or nothing); the quota ledger is append-only.
-- Parcels gain batch_id (the approval batch they were approved in).
ALTER TABLE parcels ADD COLUMN batch_id text;

CREATE TABLE batches (
    fid bigserial PRIMARY KEY,
    batch_id text NOT NULL UNIQUE,
    supervision_no text,
    batch_name text,
    zone text,
    approval_date text,
    batch_type text,
    approved_area_m2 double precision,
    new_construction_m2 double precision,
    farmland_m2 double precision,
    cropland_m2 double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE reductions (
    fid bigserial PRIMARY KEY,
    reduction_id text NOT NULL UNIQUE,
    batch_id text,
    reduction_date text,
    reduction_kind text,
    area_m2 double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE supply (
    fid bigserial PRIMARY KEY,
    supervision_no text NOT NULL UNIQUE,
    parcel_id text,
    batch_id text,
    supply_way text,
    use text,
    area_m2 double precision,
    price_wan double precision,
    contract_date text,
    agreed_delivery_date text,
    agreed_start_date text,
    agreed_completion_date text,
    far_min double precision,
    far_max double precision,
    coverage_min double precision,
    invest_intensity_wan_per_mu double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE reserve (
    fid bigserial PRIMARY KEY,
    reserve_id text NOT NULL UNIQUE,
    zone text,
    agreement_date text,
    area_m2 double precision,
    compensation_wan double precision,
    expropriation_total bigint,
    expropriation_done bigint,
    clean_land_date text,
    planned_use text,
    supply_category text,
    supervision_no text,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE quota_events (
    fid bigserial PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    event_date text,
    year bigint,
    quota_kind text,
    event_kind text,
    area_m2 double precision,
    note text,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE supply_plan (
    fid bigserial PRIMARY KEY,
    record_id text NOT NULL UNIQUE,
    year bigint,
    use text,
    planned_area_m2 double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE disposal_tasks (
    fid bigserial PRIMARY KEY,
    record_id text NOT NULL UNIQUE,
    year bigint,
    zone text,
    task_kind text,
    task_area_m2 double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE TABLE mortgages (
    fid bigserial PRIMARY KEY,
    mortgage_id text NOT NULL UNIQUE,
    parcel_id text,
    holder text,
    lender text,
    registration_date text,
    amount_wan double precision,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE INDEX batches_geom_gist ON batches USING gist (geom);
CREATE INDEX reserve_geom_gist ON reserve USING gist (geom);
CREATE INDEX supply_parcel ON supply (parcel_id);
CREATE INDEX supply_batch ON supply (batch_id);
CREATE INDEX reductions_batch ON reductions (batch_id);
CREATE INDEX mortgages_parcel ON mortgages (parcel_id);
CREATE TRIGGER quota_events_append_only BEFORE UPDATE OR DELETE ON quota_events
    FOR EACH ROW EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER quota_events_no_truncate BEFORE TRUNCATE ON quota_events
    FOR EACH STATEMENT EXECUTE FUNCTION landuse_refuse_change();
