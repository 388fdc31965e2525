package io.promptune.runtime.engine;

import java.util.List;

/** The model's tokenizer: SentencePiece from tokenizer.json, or ByT5's byte-level vocabulary. */
public interface TextTokenizer {

  /** Ids and surface pieces of {@code text}; appends EOS when {@code addEos}. */
  Encoding encode(String text, boolean addEos);

  /** Text of {@code ids}; special tokens (pad, eos, unk, sentinels) are dropped when {@code skipSpecial}. */
  String decode(int[] ids, boolean skipSpecial);

  /** The surface piece of one id. */
  String piece(int id);

  int vocabSize();

  /** sha256 (hex) of the tokenizer definition. */
  String fingerprint();

  record Encoding(int[] ids, List<String> pieces) {}
}
