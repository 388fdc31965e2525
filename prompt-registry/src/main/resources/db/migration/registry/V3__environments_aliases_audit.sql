-- Environments, one alias per (prompt, environment), and the append-only audit log.

-- Synced from promptune.registry.environments at every start (EnvironmentSync). An environment dropped from
-- the configuration keeps its row (aliases and audit events name it) with position NULL.
CREATE TABLE environments (
  name     text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  position integer UNIQUE CHECK (position >= 0)
);

CREATE TABLE aliases (
  prompt_id   bigint      NOT NULL REFERENCES prompts (id),
  environment text        NOT NULL REFERENCES environments (name),
  version_id  uuid        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_by  text        NOT NULL,
  PRIMARY KEY (prompt_id, environment),
  -- The version must belong to the same prompt.
  CONSTRAINT aliases_version_of_prompt FOREIGN KEY (version_id, prompt_id) REFERENCES versions (id, prompt_id)
);

CREATE TABLE audit_events (
  -- Assigned while the writer holds the audit-order lock until commit, so ids increase in commit order.
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action          text        NOT NULL CHECK (action IN ('PROMOTE', 'ROLLBACK', 'CREATE_PROMPT', 'PUBLISH_VERSION',
                                                         'IMPORT_VERSION')),
  actor           text        NOT NULL,
  occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  prompt_name     text        NOT NULL,
  environment     text,
  from_version_id uuid,
  to_version_id   uuid,
  reason          text        NOT NULL DEFAULT '',
  forced          boolean     NOT NULL DEFAULT false,
  CONSTRAINT audit_events_alias_change CHECK (
    action NOT IN ('PROMOTE', 'ROLLBACK') OR (environment IS NOT NULL AND to_version_id IS NOT NULL))
);

CREATE INDEX audit_events_prompt_env ON audit_events (prompt_name, environment, id);
CREATE INDEX audit_events_env ON audit_events (environment, id);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION reject_change('The audit log is append-only.');
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('The audit log is append-only.');
