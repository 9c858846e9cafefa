-- The WeChat UnionID the bank knows for a customer (from its official account or mini-program), so the
-- WeCom sync can match a contact by UnionID before falling back to the mobile in the manager's remark.
-- Not unique: one wrong row in a bank file must not stop an import; a UnionID shared by two customers
-- simply matches neither.
ALTER TABLE customers ADD COLUMN wechat_unionid TEXT;
CREATE INDEX customers_unionid ON customers (wechat_unionid);
