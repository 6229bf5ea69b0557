-- 005: two ledger fields of the parcel standard §2: the holder an event concerns (原用地单位,
-- the zombie enterprise of a zombie_cleared event) and the idle-land fee of a fee_levied or
-- fee_paid event (fee_wan, 万元). Existing events have neither (NULL).
ALTER TABLE ledger ADD COLUMN holder text;
ALTER TABLE ledger ADD COLUMN fee_wan double precision;
