-- 003: the assessment's sentences in English too (landuse.store.schema.TRANSLATED), so the
-- items and /assessment answer in the language a request asks for from one stored table.
-- The assessment made before this migration has no English sentences: it is made again.
ALTER TABLE parcel_assessment ADD COLUMN reasons_en text;
DELETE FROM parcel_assessment;
DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', 'assessment_ruleset', 'assessment_seq');
