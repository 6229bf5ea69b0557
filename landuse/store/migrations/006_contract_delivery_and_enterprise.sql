-- 006: issue 11's last fields. The parcels' contract delivery date (合同约定交地日期,
-- parcel standard §1): land delivered after it is, by default, a government cause of the
-- delay (《闲置土地处置办法》第八条第一项). The rules changed with it: an assessment stored
-- before this migration is made again.
ALTER TABLE parcels ADD COLUMN contract_delivery_date text;
DELETE FROM parcel_assessment;
DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', 'assessment_ruleset', 'assessment_seq');
