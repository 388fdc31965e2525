package io.promptune.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.promptune.runtime.engine.Golden;
import io.promptune.runtime.engine.TextTokenizer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The fast tokenizer (tokenizer.json through DJL's Rust tokenizers) against t5-tokenizer/tokenization.json,
 * which holds the slow SentencePiece T5Tokenizer's ids: with and without EOS, pieces and skip-special decoding.
 */
class TokenizationGoldenTest {

  static SentencePieceTokenizer tok;

  @BeforeAll
  static void load() throws Exception {
    tok = SentencePieceTokenizer.load(Golden.tokenizerJson(), 1);
  }

  @AfterAll
  static void close() {
    if (tok != null) {
      tok.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> cases() {
    JsonNode root = Golden.read(Golden.dir().resolve("t5-tokenizer").resolve("tokenization.json"));
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      String text = c.get("text").asText();
      tests.add(DynamicTest.dynamicTest("'" + text + "'", () -> {
        int[] without = Golden.ints(c.get("hf_t5tokenizer_ids_without_eos"));
        int[] with = Golden.ints(c.get("hf_t5tokenizer_ids_with_eos"));
        TextTokenizer.Encoding e = tok.encode(text, false);
        assertArrayEquals(without, e.ids(), "ids without eos");
        assertArrayEquals(with, tok.encode(text, true).ids(), "ids with eos");
        // Pieces are surface forms: where HF's slow tokenizer shows "<unk>" for an unknown character (id 2), the
        // fast tokenizer keeps the character itself, as raw SentencePiece's pieces do (documented difference;
        // the ids are identical).
        List<String> pieces = new ArrayList<>();
        c.get("hf_t5tokenizer_tokens").forEach(n -> pieces.add(n.asText()));
        for (int i = 0; i < without.length; i++) {
          if (without[i] == 2) {
            assertArrayEquals(Golden.ints(c.get("sentencepiece_ids")), without, "unk case aligns with raw sp");
            pieces.set(i, c.get("sentencepiece_pieces").get(i).asText());
          }
        }
        assertEquals(pieces, tok.encode(text, true).pieces(), "pieces");
        assertEquals(c.get("hf_decode_skip_special").asText(), tok.decode(with, true), "decode skipping specials");
      }));
    }
    return tests.stream();
  }

  @Test
  void specialIdsAndFingerprint() throws Exception {
    JsonNode root = Golden.read(Golden.dir().resolve("t5-tokenizer").resolve("tokenization.json"));
    JsonNode sp = root.get("special_ids");
    assertEquals("<pad>", tok.piece(sp.get("pad").asInt()));
    assertEquals("</s>", tok.piece(sp.get("eos").asInt()));
    assertEquals("<unk>", tok.piece(sp.get("unk").asInt()));
    assertEquals("<extra_id_0>", tok.piece(sp.get("<extra_id_0>").asInt()));
    assertEquals("<extra_id_99>", tok.piece(sp.get("<extra_id_99>").asInt()));
    assertEquals(root.get("tokenizer_len").asInt(), tok.vocabSize());
    String sha = java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(Golden.tokenizerJson())));
    assertEquals(sha, tok.fingerprint());
    assertEquals("Hello world", tok.decode(new int[] {8774, 296, 1, 0, 0}, true));
  }
}
