-- How a customer's WeCom link was made: 'unionid' or 'remark_mobile' (siyu's sync). NULL with a link
-- means the bank's file set it (or it predates this column): a fact the sync never replaces. A
-- remark-mobile link is only a manager's word, and a UnionID match replaces it.
ALTER TABLE customers ADD COLUMN wecom_link_method TEXT;

-- The bank's file writes the WeCom id without a method (siyu's sync always writes one with it). Such a
-- write makes the link the file's, and a manager's remark claim on the same contact gives way to it
-- rather than failing the import on the unique index. The WHEN clauses keep every other row (nearly
-- all of a large import) from calling the function at all.
CREATE FUNCTION customers_file_link() RETURNS trigger AS $$
BEGIN
    UPDATE customers SET wecom_external_userid = NULL, wecom_link_method = NULL
     WHERE wecom_external_userid = NEW.wecom_external_userid AND customer_no <> NEW.customer_no
       AND wecom_link_method = 'remark_mobile';
    NEW.wecom_link_method := NULL;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER customers_file_link_insert BEFORE INSERT ON customers
FOR EACH ROW WHEN (NEW.wecom_external_userid IS NOT NULL)
EXECUTE FUNCTION customers_file_link();

CREATE TRIGGER customers_file_link_update BEFORE UPDATE OF wecom_external_userid ON customers
FOR EACH ROW WHEN (NEW.wecom_external_userid IS NOT NULL
                   AND NEW.wecom_external_userid IS DISTINCT FROM OLD.wecom_external_userid
                   AND NEW.wecom_link_method IS NOT DISTINCT FROM OLD.wecom_link_method)
EXECUTE FUNCTION customers_file_link();
