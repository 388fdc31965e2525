-- Ensemble training jobs publish each member as a version and an ensemble over them: published_version_id is the
-- ensemble, these are the members in member order (empty for a single-prompt job).
ALTER TABLE trainer.jobs ADD COLUMN published_member_version_ids text[] NOT NULL DEFAULT '{}';
