-- Ensembles (immutable versions made of other versions), evaluation records (append-only) and promotion gates
-- (per environment, edited by admins, every edit audited). DDL only: no row trigger fires on existing rows.

-- A version is a single prompt (a tensor) or an ensemble (members, no tensor of its own).
ALTER TABLE versions
  ADD COLUMN kind text NOT NULL DEFAULT 'PROMPT' CHECK (kind IN ('PROMPT', 'ENSEMBLE')),
  ADD COLUMN combination_rule text CHECK (combination_rule IN ('MAJORITY_VOTE', 'MEAN_LOG_PROB'));

-- An ensemble row has length 0 and no bytes; its sha256 is a digest of its rule and members (computed by the
-- service), so the tensor-hash check applies to single prompts only.
ALTER TABLE versions DROP CONSTRAINT versions_length_check;
ALTER TABLE versions DROP CONSTRAINT versions_tensor_sha256;
ALTER TABLE versions
  ADD CONSTRAINT versions_length_by_kind CHECK (CASE kind WHEN 'PROMPT' THEN length >= 1 ELSE length = 0 END),
  ADD CONSTRAINT versions_rule_by_kind CHECK ((kind = 'ENSEMBLE') = (combination_rule IS NOT NULL)),
  ADD CONSTRAINT versions_tensor_sha256 CHECK (
    CASE kind WHEN 'PROMPT' THEN sha256 = encode(sha256(tensor), 'hex') ELSE sha256 ~ '^[0-9a-f]{64}$' END);

-- The ordered members of an ensemble version; written with it, never changed.
CREATE TABLE ensemble_members (
  ensemble_version_id uuid    NOT NULL REFERENCES versions (id),
  position            integer NOT NULL CHECK (position >= 0),
  member_version_id   uuid    NOT NULL REFERENCES versions (id),
  PRIMARY KEY (ensemble_version_id, position),
  CONSTRAINT ensemble_members_distinct UNIQUE (ensemble_version_id, member_version_id)
);

CREATE INDEX ensemble_members_member ON ensemble_members (member_version_id);

CREATE TRIGGER ensemble_members_immutable BEFORE UPDATE OR DELETE ON ensemble_members
  FOR EACH ROW EXECUTE FUNCTION reject_change('Members are part of an immutable ensemble version.');
CREATE TRIGGER ensemble_members_no_truncate BEFORE TRUNCATE ON ensemble_members
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('Members are part of an immutable ensemble version.');

-- No nesting, one base model: a member is a single prompt with the ensemble's d_model and fingerprint.
CREATE FUNCTION ensemble_members_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  e registry.versions%ROWTYPE;
  m registry.versions%ROWTYPE;
BEGIN
  SELECT * INTO e FROM registry.versions WHERE id = NEW.ensemble_version_id;
  SELECT * INTO m FROM registry.versions WHERE id = NEW.member_version_id;
  IF e.kind <> 'ENSEMBLE' THEN
    RAISE EXCEPTION 'version % is not an ensemble', e.id USING ERRCODE = 'check_violation';
  END IF;
  IF m.kind <> 'PROMPT' THEN
    RAISE EXCEPTION 'version % is an ensemble; ensembles cannot be members of ensembles', m.id
      USING ERRCODE = 'check_violation';
  END IF;
  IF m.d_model <> e.d_model OR m.base_model_fingerprint <> e.base_model_fingerprint THEN
    RAISE EXCEPTION 'member % is for another model than ensemble %', m.id, e.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ensemble_members_checked BEFORE INSERT ON ensemble_members
  FOR EACH ROW EXECUTE FUNCTION ensemble_members_check();

-- Evaluation results, kept against a version. Append-only, like the audit log.
CREATE TABLE evaluations (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id  uuid             NOT NULL REFERENCES versions (id),
  dataset_id  text             NOT NULL CHECK (dataset_id <> '' AND length(dataset_id) <= 256),
  split       text             NOT NULL CHECK (split ~ '^[a-z0-9._-]{1,64}$'),
  metric      text             NOT NULL CHECK (metric ~ '^[a-z0-9._-]{1,64}$'),
  value       double precision NOT NULL CHECK (value > '-Infinity' AND value < 'Infinity'),
  examples    bigint           NOT NULL DEFAULT 0 CHECK (examples >= 0),
  job_id      text             NOT NULL DEFAULT '',
  created_by  text             NOT NULL,
  created_at  timestamptz      NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX evaluations_version ON evaluations (version_id, dataset_id, split, metric, id);
-- A job records each (version, dataset, split, metric) once; retries find the stored row.
CREATE UNIQUE INDEX evaluations_job_once ON evaluations (version_id, job_id, dataset_id, split, metric)
  WHERE job_id <> '';

CREATE TRIGGER evaluations_append_only BEFORE UPDATE OR DELETE ON evaluations
  FOR EACH ROW EXECUTE FUNCTION reject_change('Evaluations are append-only; record a new evaluation instead.');
CREATE TRIGGER evaluations_no_truncate BEFORE TRUNCATE ON evaluations
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('Evaluations are append-only; record a new evaluation instead.');

-- Promotion gates: conditions on evaluations that Promote checks for the target environment.
CREATE TABLE promotion_gates (
  environment     text             NOT NULL REFERENCES environments (name),
  name            text             COLLATE "C" NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  prompt_name     text             NOT NULL DEFAULT '',
  task            text             NOT NULL DEFAULT '',
  dataset_id      text             NOT NULL CHECK (dataset_id <> ''),
  split           text             NOT NULL CHECK (split ~ '^[a-z0-9._-]{1,64}$'),
  metric          text             NOT NULL CHECK (metric ~ '^[a-z0-9._-]{1,64}$'),
  threshold       double precision CHECK (threshold > '-Infinity' AND threshold < 'Infinity'),
  max_regression  double precision CHECK (max_regression >= 0 AND max_regression < 'Infinity'),
  lower_is_better boolean          NOT NULL DEFAULT false,
  description     text             NOT NULL DEFAULT '',
  updated_by      text             NOT NULL,
  updated_at      timestamptz      NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (environment, name)
);

-- Audit: gate edits and ensemble creation; gate events may concern no prompt; details carry the gate checks of a
-- promotion and the gate of a gate edit (JSON).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE audit_events
  ADD CONSTRAINT audit_events_action_check CHECK (action IN ('PROMOTE', 'ROLLBACK', 'CREATE_PROMPT',
    'PUBLISH_VERSION', 'IMPORT_VERSION', 'CREATE_ENSEMBLE', 'SET_PROMOTION_GATE', 'DELETE_PROMOTION_GATE')),
  ADD COLUMN details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object');
