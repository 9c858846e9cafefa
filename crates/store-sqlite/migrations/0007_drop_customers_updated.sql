-- The audience engine follows imports by the rows each batch wrote, not by scanning `updated_at`, so the
-- index 0006 made for that scan only slowed every customer write down.
DROP INDEX customers_updated;
