-- 001: the landuse store schema (parcels, append-only ledger, audit, API keys).
-- Columns follow the parcel data standard (landuse/data/standard.toml); dates are ISO text
-- so that comparisons behave as in the GeoPackage store. tests/test_store.py checks that
-- these columns match landuse.store.schema.COLLECTIONS.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE landuse_meta (key text PRIMARY KEY, value text);
INSERT INTO landuse_meta VALUES ('parcels_count', '0');

CREATE TABLE parcels (
    fid bigserial PRIMARY KEY,
    parcel_id text NOT NULL UNIQUE,
    zone text,
    registered_area_m2 double precision,
    land_use text,
    approval_date text,
    supply_date text,
    supply_method text,
    land_price_wan double precision,
    delivery_date text,
    holder text,
    credit_code text,
    industry_code text,
    enterprise_status text,
    above_scale boolean,
    agreed_start_date text,
    agreed_completion_date text,
    total_investment_wan double precision,
    target_far double precision,
    target_invest_intensity_wan_per_mu double precision,
    target_tax_per_mu_wan double precision,
    permit_date text,
    start_date text,
    start_evidence text,
    developed_area_m2 double precision,
    invested_wan double precision,
    suspended_since text,
    completion_date text,
    production_date text,
    footprint_m2 double precision,
    yard_area_m2 double precision,
    floor_area_m2 double precision,
    admin_area_m2 double precision,
    green_area_m2 double precision,
    delay_cause text,
    extension_until text,
    observed_use text,
    mortgaged boolean,
    stat_year bigint,
    tax_wan double precision,
    output_wan double precision,
    revenue_wan double precision,
    value_added_wan double precision,
    energy_tce double precision,
    employees bigint,
    rd_wan double precision,
    extra jsonb,
    version integer NOT NULL DEFAULT 1,
    updated_at text,
    geom geometry(Geometry, 4490)
);
CREATE INDEX parcels_geom_gist ON parcels USING gist (geom);
CREATE INDEX parcels_holder ON parcels (holder);
CREATE INDEX parcels_zone ON parcels (zone);
CREATE INDEX parcels_id_prefix ON parcels (parcel_id text_pattern_ops);

CREATE TABLE ledger (
    fid bigserial PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    parcel_id text,
    event_date text,
    stage text,
    method text,
    area_m2 double precision,
    new_holder text,
    expected_output_wan double precision,
    zombie_cleared boolean,
    corrects text,
    note text,
    recorded_at text,
    recorded_by text,
    geom geometry(Geometry, 4490)
);
CREATE INDEX ledger_parcel ON ledger (parcel_id);
CREATE INDEX ledger_geom_gist ON ledger USING gist (geom);

CREATE TABLE audit (
    seq bigserial PRIMARY KEY,
    at text NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    detail jsonb
);

CREATE TABLE api_keys (
    key_id text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'editor')),
    label text,
    salt bytea NOT NULL,
    hash bytea NOT NULL,
    created_at text NOT NULL,
    revoked_at text
);

-- nothing is ever deleted: the ledger and the audit log refuse UPDATE, DELETE and TRUNCATE;
-- parcels refuse DELETE and TRUNCATE (edits are versioned and audited).
CREATE FUNCTION landuse_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never %d: add a correcting event instead',
        TG_TABLE_NAME, lower(TG_OP);
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER parcels_no_delete BEFORE DELETE ON parcels
    FOR EACH ROW EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER parcels_no_truncate BEFORE TRUNCATE ON parcels
    FOR EACH STATEMENT EXECUTE FUNCTION landuse_refuse_change();
