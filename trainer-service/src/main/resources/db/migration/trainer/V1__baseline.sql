-- Baseline of the trainer schema; the tables arrive in the next migrations.
COMMENT ON SCHEMA trainer IS 'Promptune trainer-service: datasets, jobs, checkpoints, events';
