-- PEFT prompt-tuning adapters saved with num_transformer_submodules 2 (PEFT's default for SEQ_2_SEQ_LM) hold
-- num_virtual_tokens x 2 rows in prompt_embeddings. PEFT's seq2seq prompt tuning feeds only the first
-- num_virtual_tokens rows to the encoder, so those rows are the version's tensor; the other half (the decoder's
-- share, trained by nothing in current PEFT and never used) is kept here only so that ExportPeft gives back the
-- adapter that was imported. One row per such imported version, written with it, never changed.
CREATE TABLE peft_decoder_prompts (
  version_id                 uuid    PRIMARY KEY REFERENCES versions (id),
  num_transformer_submodules integer NOT NULL CHECK (num_transformer_submodules = 2),
  tensor                     bytea   NOT NULL CHECK (length(tensor) > 0)
);

CREATE TRIGGER peft_decoder_prompts_immutable BEFORE UPDATE OR DELETE ON peft_decoder_prompts
  FOR EACH ROW EXECUTE FUNCTION reject_change('The decoder rows are part of an immutable version.');
CREATE TRIGGER peft_decoder_prompts_no_truncate BEFORE TRUNCATE ON peft_decoder_prompts
  FOR EACH STATEMENT EXECUTE FUNCTION reject_change('The decoder rows are part of an immutable version.');
