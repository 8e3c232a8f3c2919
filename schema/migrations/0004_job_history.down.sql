-- Reverts 0004_job_history: the columns go and the statuses map back to 0001's four (a dead job
-- is a failed one there).
DROP INDEX IF EXISTS custom_gpt_jobs_application_status_idx;
ALTER TABLE custom_gpt_jobs
  DROP COLUMN recorded_at,
  DROP COLUMN memory_bank_request_id,
  DROP COLUMN memory_bank_status;

ALTER TABLE custom_gpt_jobs DROP CONSTRAINT custom_gpt_jobs_status_check;
UPDATE custom_gpt_jobs
  SET status = CASE status
                 WHEN 'running' THEN 'processing'
                 WHEN 'succeeded' THEN 'completed'
                 WHEN 'dead' THEN 'failed'
               END
  WHERE status IN ('running', 'succeeded', 'dead');
ALTER TABLE custom_gpt_jobs ADD CONSTRAINT custom_gpt_jobs_status_check
  CHECK (status IN ('queued', 'processing', 'completed', 'failed'));
