-- How a customer's WeCom link was made: 'unionid' or 'remark_mobile' (siyu's sync). NULL with a link
-- means the bank's file set it (or it predates this column): a fact the sync never replaces. A
-- remark-mobile link is only a manager's word, and a UnionID match replaces it.
ALTER TABLE customers ADD COLUMN wecom_link_method TEXT;

-- The bank's file writes the WeCom id without a method (siyu's sync always writes one with it). Such a
-- write makes the link the file's, and a manager's remark claim on the same contact gives way to it
-- rather than failing the import on the unique index.
CREATE TRIGGER customers_file_link_insert BEFORE INSERT ON customers
WHEN NEW.wecom_external_userid IS NOT NULL
BEGIN
    UPDATE customers SET wecom_external_userid = NULL, wecom_link_method = NULL
     WHERE wecom_external_userid = NEW.wecom_external_userid AND customer_no <> NEW.customer_no
       AND wecom_link_method = 'remark_mobile';
END;

CREATE TRIGGER customers_file_link_update BEFORE UPDATE OF wecom_external_userid ON customers
WHEN NEW.wecom_external_userid IS NOT NULL AND NEW.wecom_external_userid IS NOT OLD.wecom_external_userid
     AND NEW.wecom_link_method IS OLD.wecom_link_method
BEGIN
    UPDATE customers SET wecom_external_userid = NULL, wecom_link_method = NULL
     WHERE wecom_external_userid = NEW.wecom_external_userid AND id <> NEW.id
       AND wecom_link_method = 'remark_mobile';
END;

CREATE TRIGGER customers_file_link_owns AFTER UPDATE OF wecom_external_userid ON customers
WHEN NEW.wecom_external_userid IS NOT OLD.wecom_external_userid AND NEW.wecom_link_method IS OLD.wecom_link_method
     AND NEW.wecom_link_method IS NOT NULL
BEGIN
    UPDATE customers SET wecom_link_method = NULL WHERE id = NEW.id;
END;
