package io.promptune.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

  final ByteTokenizer tok = new ByteTokenizer(384);

  @Test
  void idsAreBytesPlusThree() {
    assertArrayEquals(new int[] {'h' + 3, 'i' + 3, 1}, tok.encode("hi", true).ids());
    assertArrayEquals(new int[] {0xc3 + 3, 0xbc + 3}, tok.encode("ü", false).ids());
    assertArrayEquals(new int[] {1}, tok.encode("", true).ids());
  }

  @Test
  void decodeRoundTripsAndSkipsSpecials() {
    String text = "Grüße, 世界!";
    int[] ids = tok.encode(text, true).ids();
    assertEquals(text, tok.decode(ids, true));
    assertEquals(text + "</s>", tok.decode(ids, false));
    assertEquals("ab", tok.decode(new int[] {0, 'a' + 3, 2, 383, 'b' + 3, 1}, true));
    assertEquals("<pad>a<unk><extra_id_0>", tok.decode(new int[] {0, 'a' + 3, 2, 383}, false));
    // a truncated multi-byte character is dropped, as HF does (errors="ignore")
    assertEquals("a", tok.decode(new int[] {'a' + 3, 0xc3 + 3}, true));
  }

  @Test
  void piecesAndFingerprint() throws Exception {
    assertEquals("</s>", tok.piece(1));
    assertEquals("a", tok.piece('a' + 3));
    assertEquals("<extra_id_124>", tok.piece(259));
    assertThrows(IllegalArgumentException.class, () -> tok.piece(384));
    assertEquals(384, tok.vocabSize());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest("byte-level".getBytes(StandardCharsets.UTF_8))), tok.fingerprint());
  }
}
