-- 002: the parcels' assessment (parcel standard §3), materialised by the store
-- (SQLStore.refresh_assessment) and joined to the parcels by the items queries.
-- tests/test_store.py checks that these columns match landuse.store.schema.ASSESSMENT.
CREATE TABLE parcel_assessment (
    parcel_id text PRIMARY KEY,
    area_m2 double precision,
    area_mu double precision,
    area_ha double precision,
    lifecycle text,
    idle_type text,
    overdue_days bigint,
    idle_fee_wan double precision,
    recovery_candidate boolean,
    low_efficiency boolean,
    failed_indicators text,
    mujun_score double precision,
    mujun_class text,
    flags text,
    reasons text,
    as_of text NOT NULL,
    ruleset text NOT NULL
);
CREATE INDEX parcel_assessment_lifecycle ON parcel_assessment (lifecycle);
CREATE INDEX parcel_assessment_idle_type ON parcel_assessment (idle_type);
CREATE INDEX parcel_assessment_mujun_class ON parcel_assessment (mujun_class);
CREATE INDEX parcel_assessment_low_efficiency ON parcel_assessment (low_efficiency);
