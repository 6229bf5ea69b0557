-- 004: two parcel fields of issue 11: the GB/T 4754 edition of industry_code and the
-- 达产复核 date the performance targets are judged from (parcel standard, §1). The rules
-- changed with them (land-use scope, class N, the 逾期竣工 flag): an assessment stored
-- before this migration is made again.
ALTER TABLE parcels ADD COLUMN industry_code_edition text;
ALTER TABLE parcels ADD COLUMN review_date text;
DELETE FROM parcel_assessment;
DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', 'assessment_ruleset', 'assessment_seq');
