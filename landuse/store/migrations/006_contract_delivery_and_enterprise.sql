-- 006: issue 11's last fields. The parcels' contract delivery date (合同约定交地日期,
-- parcel standard §1): land delivered after it is, by default, a government cause of the
-- delay (《闲置土地处置办法》第八条第一项). The assessment (§3) names whom each parcel's 亩均
-- was rated for (enterprise: credit code, else holder), by which scheme (mujun_scheme:
-- above = 规上, below = 规下) and its rank among the enterprises of that scheme
-- (mujun_rank). The rules changed with them: an assessment stored before this migration
-- is made again.
ALTER TABLE parcels ADD COLUMN contract_delivery_date text;
ALTER TABLE parcel_assessment ADD COLUMN enterprise text;
ALTER TABLE parcel_assessment ADD COLUMN mujun_scheme text;
ALTER TABLE parcel_assessment ADD COLUMN mujun_rank bigint;
DELETE FROM parcel_assessment;
DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', 'assessment_ruleset', 'assessment_seq');
