-- Evaluation jobs (issue #14): queued, claimed, leased, fenced and cancelled as rows of trainer.jobs like training
-- jobs; `kind` tells the worker which runner to use. An evaluation job's jobs.spec is an empty JobSpec and its
-- dataset_id is the evaluated dataset; what it evaluates and how far it got live in trainer.evaluations.
ALTER TABLE trainer.jobs
    ADD COLUMN kind text NOT NULL DEFAULT 'TRAINING' CHECK (kind IN ('TRAINING', 'EVALUATION'));
CREATE INDEX jobs_by_kind_time ON trainer.jobs (kind, create_time DESC, id DESC);

CREATE TABLE trainer.evaluations (
    job_id         uuid PRIMARY KEY REFERENCES trainer.jobs (id) ON DELETE CASCADE,
    spec           bytea NOT NULL,          -- promptune.v1.EvaluationSpec, defaults filled in at submit
    version_id     text,                    -- the version the selector resolved to when the job first started
    examples_total bigint,                  -- records evaluated in all (split cut to max_examples)
    examples_done  bigint NOT NULL DEFAULT 0 CHECK (examples_done >= 0),
    correct        bigint NOT NULL DEFAULT 0 CHECK (correct >= 0 AND correct <= examples_done),
    member_correct bigint[] NOT NULL DEFAULT '{}', -- an ensemble: correct answers per member, in member order
    outcome        bytea                    -- promptune.v1.EvaluationOutcome, once recorded with the registry
);
