-- A channel code's welcome is an item of the content library (issue 17 §2, banking rule 5), named by
-- its id: `{"item": "cnt_…"}`. Welcomes written before the library held free text or a typed-in link
-- card that nobody reviewed; they are cleared rather than sent, and the console shows those codes
-- with no welcome until an operator chooses an approved item.
UPDATE channel_codes SET welcome_json = '{}' WHERE welcome_json NOT LIKE '{"item":%';
