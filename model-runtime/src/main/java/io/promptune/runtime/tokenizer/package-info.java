/**
 * Tokenizers: {@link io.promptune.runtime.tokenizer.SentencePieceTokenizer} (tokenizer.json through DJL's Rust
 * tokenizers, EOS handled by us) and {@link io.promptune.runtime.tokenizer.ByteTokenizer} (ByT5);
 * {@link io.promptune.runtime.tokenizer.Tokenizers} picks one for a checkpoint.
 */
package io.promptune.runtime.tokenizer;
