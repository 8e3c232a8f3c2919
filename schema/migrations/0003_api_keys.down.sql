-- Reverts 0003_api_keys: the table, with its index and grants.
DROP TABLE IF EXISTS custom_gpt_api_keys;
