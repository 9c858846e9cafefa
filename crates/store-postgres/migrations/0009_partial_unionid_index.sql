-- Most customers have no UnionID on file; indexing only those who do keeps every other customer write
-- (a 1M-row import above all) from adding an entry to this index. `wechat_unionid = $1` still uses it.
DROP INDEX customers_unionid;
CREATE INDEX customers_unionid ON customers (wechat_unionid) WHERE wechat_unionid IS NOT NULL;
