-- custom_gpt_jobs becomes the durable history of final job outcomes: the worker writes each
-- outcome from the {gpt-adapter}:jobs:history stream in batches (upsert by request_id), with the
-- statuses of the Redis job record and what the Memory Bank answered.
ALTER TABLE custom_gpt_jobs DROP CONSTRAINT custom_gpt_jobs_status_check;
UPDATE custom_gpt_jobs
  SET status = CASE status WHEN 'processing' THEN 'running' WHEN 'completed' THEN 'succeeded' END
  WHERE status IN ('processing', 'completed');
ALTER TABLE custom_gpt_jobs ADD CONSTRAINT custom_gpt_jobs_status_check
  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead'));

ALTER TABLE custom_gpt_jobs
  -- The HTTP status of the Memory Bank's last answer; NULL when it never answered.
  ADD COLUMN memory_bank_status integer,
  ADD COLUMN memory_bank_request_id text,
  -- When the outcome reached this table (completed_at is when the worker finished the job).
  ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX custom_gpt_jobs_application_status_idx
  ON custom_gpt_jobs (application_id, status, created_at);
