-- Prompts, their immutable versions and the lineage edges between versions.
-- Invariants the database itself enforces (not only the Java code):
--   * versions and lineage edges can never be updated, deleted or truncated (triggers below);
--   * version numbers of a prompt are 1, 2, 3, ... without gaps (trigger + unique constraint);
--   * a version's bytes match its shape and its sha256 (check constraints).

CREATE TABLE prompts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Byte order ("C"): listings page by name and must not depend on the server's locale.
  name           text        COLLATE "C" NOT NULL,
  task           text        NOT NULL DEFAULT '',
  description    text        NOT NULL DEFAULT '',
  owner          text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Highest version number so far; bumped in the publishing transaction while it holds this row's lock.
  latest_version integer     NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
  CONSTRAINT prompts_name_key UNIQUE (name),
  CONSTRAINT prompts_name_format CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
);

CREATE INDEX prompts_task_name ON prompts (task, name);

CREATE TABLE versions (
  id                     uuid        PRIMARY KEY,
  prompt_id              bigint      NOT NULL REFERENCES prompts (id),
  number                 integer     NOT NULL CHECK (number >= 1),
  length                 integer     NOT NULL CHECK (length >= 1),
  d_model                integer     NOT NULL CHECK (d_model >= 1),
  dtype                  text        NOT NULL DEFAULT 'FLOAT32' CHECK (dtype = 'FLOAT32'),
  -- Row-major little-endian float32, exactly as received.
  tensor                 bytea       NOT NULL,
  sha256                 text        NOT NULL,
  base_model_id          text        NOT NULL CHECK (base_model_id <> ''),
  base_model_fingerprint text        NOT NULL CHECK (base_model_fingerprint <> ''),
  tokenizer_fingerprint  text        NOT NULL DEFAULT '',
  init_method            text        NOT NULL CHECK (init_method IN ('INIT_METHOD_UNSPECIFIED', 'RANDOM_UNIFORM',
                                       'SAMPLED_VOCAB', 'CLASS_LABELS', 'TEXT', 'FROM_VERSION', 'IMPORTED')),
  training_job_id        text        NOT NULL DEFAULT '',
  hyperparameters        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(hyperparameters) = 'object'),
  metrics                jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
  created_by             text        NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT versions_prompt_number_key UNIQUE (prompt_id, number),
  -- Target of the aliases' composite foreign key: an alias can only point at a version of its own prompt.
  CONSTRAINT versions_id_prompt_key UNIQUE (id, prompt_id),
  CONSTRAINT versions_tensor_size CHECK (octet_length(tensor) = length::bigint * d_model * 4),
  CONSTRAINT versions_tensor_sha256 CHECK (sha256 = encode(sha256(tensor), 'hex'))
);

-- Float bytes do not compress; store them out of line without trying.
ALTER TABLE versions ALTER COLUMN tensor SET STORAGE EXTERNAL;

CREATE TABLE lineage_edges (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  child_version_id    uuid NOT NULL REFERENCES versions (id),
  -- Exactly one of the two: a version in this registry, or something outside it (an imported file).
  parent_version_id   uuid REFERENCES versions (id),
  parent_external_ref text,
  relation            text NOT NULL CHECK (relation IN ('INITIALIZED_FROM', 'TRANSFERRED_FROM',
                                             'ENSEMBLE_MEMBER_OF', 'IMPORTED_FROM')),
  CONSTRAINT lineage_edges_one_parent CHECK ((parent_version_id IS NULL) <> (parent_external_ref IS NULL)),
  CONSTRAINT lineage_edges_external_ref_nonempty CHECK (parent_external_ref <> ''),
  CONSTRAINT lineage_edges_not_self CHECK (parent_version_id IS DISTINCT FROM child_version_id)
);

CREATE UNIQUE INDEX lineage_edges_unique
  ON lineage_edges (child_version_id, relation, COALESCE(parent_version_id::text, 'external:' || parent_external_ref));
CREATE INDEX lineage_edges_parent ON lineage_edges (parent_version_id) WHERE parent_version_id IS NOT NULL;

-- Rejects every UPDATE, DELETE and TRUNCATE on the table it guards. TG_ARGV[0] says what to do instead.
CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'registry.% is append-only: % is not allowed. %', TG_TABLE_NAME, TG_OP, TG_ARGV[0]
    USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER versions_immutable BEFORE UPDATE OR DELETE ON versions
  FOR EACH ROW EXECUTE FUNCTION reject_change('Versions are immutable; publish a new version instead.');
CREATE TRIGGER versions_no_truncate BEFORE TRUNCATE ON versions
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('Versions are immutable; publish a new version instead.');
CREATE TRIGGER lineage_edges_immutable BEFORE UPDATE OR DELETE ON lineage_edges
  FOR EACH ROW EXECUTE FUNCTION reject_change('Lineage is part of an immutable version.');
CREATE TRIGGER lineage_edges_no_truncate BEFORE TRUNCATE ON lineage_edges
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('Lineage is part of an immutable version.');

-- Gap-free numbering: a new version must be number max+1 of its prompt. The prompt row lock serialises
-- concurrent publishers (the service takes it first; taking it here again is a no-op then), and the unique
-- constraint turns any race that slips past into an error instead of a duplicate.
CREATE FUNCTION versions_check_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  highest integer;
BEGIN
  PERFORM 1 FROM registry.prompts WHERE id = NEW.prompt_id FOR UPDATE;
  SELECT COALESCE(max(number), 0) INTO highest FROM registry.versions WHERE prompt_id = NEW.prompt_id;
  IF NEW.number <> highest + 1 THEN
    RAISE EXCEPTION 'version numbers are gap-free: prompt % has versions up to %, so the next is %, not %',
      NEW.prompt_id, highest, highest + 1, NEW.number
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER versions_number_gap_free BEFORE INSERT ON versions
  FOR EACH ROW EXECUTE FUNCTION versions_check_number();
