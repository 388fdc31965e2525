-- Datasets: content-addressed (id = sha256 of the canonical records), immutable once written.
CREATE TABLE trainer.datasets (
    id             text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    name           text NOT NULL UNIQUE,
    description    text NOT NULL DEFAULT '',
    format         text NOT NULL CHECK (format IN ('JSONL', 'CSV', 'TSV')),
    fields         text[] NOT NULL,
    num_train      bigint NOT NULL CHECK (num_train > 0),
    num_validation bigint NOT NULL CHECK (num_validation >= 0),
    created_by     text NOT NULL,
    create_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_by_time ON trainer.datasets (create_time DESC, id DESC);

-- One row per split: canonical JSON lines (sorted keys, string values), gzip-compressed.
CREATE TABLE trainer.dataset_splits (
    dataset_id  text NOT NULL REFERENCES trainer.datasets (id) ON DELETE CASCADE,
    split       text NOT NULL CHECK (split IN ('TRAIN', 'VALIDATION')),
    num_records bigint NOT NULL,
    records_gz  bytea NOT NULL,
    PRIMARY KEY (dataset_id, split)
);

-- Datasets never change after upload.
CREATE FUNCTION trainer.reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER datasets_immutable BEFORE UPDATE ON trainer.datasets
    FOR EACH ROW EXECUTE FUNCTION trainer.reject_update();
CREATE TRIGGER dataset_splits_immutable BEFORE UPDATE ON trainer.dataset_splits
    FOR EACH ROW EXECUTE FUNCTION trainer.reject_update();

-- Jobs are the queue: workers claim rows with FOR UPDATE SKIP LOCKED and hold them under a lease.
CREATE TABLE trainer.jobs (
    id                   uuid PRIMARY KEY,
    spec                 bytea NOT NULL,            -- promptune.v1.JobSpec, defaults filled in at submit
    dataset_id           text NOT NULL REFERENCES trainer.datasets (id),
    state                text NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    reason               text NOT NULL DEFAULT '',
    reason_code          text NOT NULL DEFAULT '',  -- promptune.v1.ErrorReason name when FAILED
    cancel_requested     boolean NOT NULL DEFAULT false,
    cancel_reason        text NOT NULL DEFAULT '',
    step                 integer NOT NULL DEFAULT 0,
    last_loss            real,
    best_metric          double precision,
    best_step            integer,
    published_version_id text,
    submitted_by         text NOT NULL,
    worker               text,
    lease_until          timestamptz,
    attempts             integer NOT NULL DEFAULT 0, -- also the fencing token of the current holder
    event_seq            bigint NOT NULL DEFAULT 0,  -- last JobEvent sequence handed out
    create_time          timestamptz NOT NULL DEFAULT now(),
    start_time           timestamptz,
    end_time             timestamptz,
    update_time          timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'RUNNING') = (lease_until IS NOT NULL))
);
CREATE INDEX jobs_claimable ON trainer.jobs (create_time, id) WHERE state IN ('QUEUED', 'RUNNING');
CREATE INDEX jobs_by_time ON trainer.jobs (create_time DESC, id DESC);

-- A finished job stays finished, whatever a late writer tries.
CREATE FUNCTION trainer.jobs_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND NEW.state IS DISTINCT FROM OLD.state THEN
        RAISE EXCEPTION 'job % is % and cannot become %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER jobs_terminal_is_final BEFORE UPDATE ON trainer.jobs
    FOR EACH ROW EXECUTE FUNCTION trainer.jobs_terminal_is_final();

-- Everything needed to continue a job exactly (see CheckpointCodec); the newest few are kept per job.
CREATE TABLE trainer.checkpoints (
    job_id      uuid NOT NULL REFERENCES trainer.jobs (id) ON DELETE CASCADE,
    step        integer NOT NULL,
    attempt     integer NOT NULL,
    sha256      text NOT NULL,
    data        bytea NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

-- Progress events (promptune.v1.JobEvent), numbered 1, 2, ... per job in commit order.
CREATE TABLE trainer.job_events (
    job_id   uuid NOT NULL REFERENCES trainer.jobs (id) ON DELETE CASCADE,
    sequence bigint NOT NULL,
    time     timestamptz NOT NULL DEFAULT now(),
    kind     text NOT NULL,
    step     integer,
    payload  bytea NOT NULL,
    PRIMARY KEY (job_id, sequence)
);
