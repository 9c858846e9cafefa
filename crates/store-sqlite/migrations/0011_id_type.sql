-- The kind of document a customer's ID number belongs to (resident_id, passport, hk_macau_permit, …;
-- see siyu_domain::customer::IdType). Written with the number and cleared with it. Every number stored
-- before this migration was checked as a resident ID number, so those rows are resident_id.
ALTER TABLE customers ADD COLUMN id_type TEXT;
UPDATE customers SET id_type = 'resident_id' WHERE id_cipher IS NOT NULL;
