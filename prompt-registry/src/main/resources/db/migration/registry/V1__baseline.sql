-- Baseline of the registry schema; the tables arrive in the next migrations.
COMMENT ON SCHEMA registry IS 'Promptune prompt-registry: prompts, immutable versions, lineage, environments, audit';
