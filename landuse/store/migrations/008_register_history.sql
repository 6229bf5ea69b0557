-- 008 (issue 13): register versions. parent_ids is a parcel field of the standard (原宗地编号:
-- the parcels a parcel was split or merged from). parcels stays the current register, read
-- as fast as before: a parcel retired by a later version keeps its row, marked retired_on
-- (the date its retirement took effect), and the readers skip it. parcel_history holds every
-- version of every parcel (append-only): its columns are those of parcels (LIKE, in that
-- order) plus the history's own; a later migration adding a parcel column adds it to both.
ALTER TABLE parcels ADD COLUMN parent_ids text;
ALTER TABLE parcels ADD COLUMN retired_on text;
CREATE INDEX parcels_current ON parcels (fid) WHERE retired_on IS NULL;

CREATE TABLE parcel_history (
    LIKE parcels,
    hid bigserial PRIMARY KEY,
    change text NOT NULL CHECK (change IN ('added', 'changed', 'retired')),
    changed_fields text,
    valid_from text NOT NULL,
    recorded_at text NOT NULL,
    recorded_by text
);
CREATE INDEX parcel_history_parcel ON parcel_history (parcel_id, hid);
CREATE INDEX parcel_history_times ON parcel_history (valid_from, recorded_at);
CREATE TRIGGER parcel_history_append_only BEFORE UPDATE OR DELETE ON parcel_history
    FOR EACH ROW EXECUTE FUNCTION landuse_refuse_change();
CREATE TRIGGER parcel_history_no_truncate BEFORE TRUNCATE ON parcel_history
    FOR EACH STATEMENT EXECUTE FUNCTION landuse_refuse_change();

-- a store loaded before this migration: its register is the first version, valid since
-- always, recorded when it was loaded (or edited)
INSERT INTO parcel_history
SELECT p.*, nextval(pg_get_serial_sequence('parcel_history', 'hid')), 'added', NULL,
       '0001-01-01', COALESCE(p.updated_at, to_char(now() AT TIME ZONE 'UTC',
       'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')), 'migration'
FROM parcels p ORDER BY p.fid;

INSERT INTO landuse_meta VALUES ('created_at', COALESCE((SELECT min(at) FROM audit),
    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')))
    ON CONFLICT (key) DO NOTHING;
