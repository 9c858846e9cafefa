-- How a customer's WeCom link was made: 'unionid' or 'remark_mobile' (siyu's sync). NULL with a link
-- means the bank's file set it (or it predates this column): a fact the sync never replaces. A
-- remark-mobile link is only a manager's word, and a UnionID match replaces it. The import writes NULL
-- here whenever it writes the WeCom id, and first takes the contact from any remark claim on it (the
-- upsert of each backend), so a file's link never fails on the unique index.
ALTER TABLE customers ADD COLUMN wecom_link_method TEXT;
