-- Blind indexes shrink from 16 to 8 bytes (see siyu-vault): a smaller phone index B-tree, which every
-- imported customer inserts into at a random place. An index the vault makes now is the first 8 bytes of
-- the one it made before, so cutting the stored ones keeps every lookup working.
UPDATE customers SET phone_index = substring(phone_index from 1 for 8) WHERE length(phone_index) > 8;
UPDATE customers SET id_index = substring(id_index from 1 for 8) WHERE length(id_index) > 8;
