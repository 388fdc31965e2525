package io.promptune.runtime.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.runtime.engine.Golden;
import org.junit.jupiter.api.Test;

class T5ConfigTest {

  @Test
  void goldenConfigs() throws Exception {
    T5Config v10 = T5Config.read(Golden.model("tiny-t5-v1_0"));
    assertTrue(v10.tieWordEmbeddings(), "absent tie_word_embeddings defaults to true");
    assertFalse(v10.gatedAct());
    assertEquals("relu", v10.activation());
    assertEquals(128, v10.dFf());
    T5Config v11 = T5Config.read(Golden.model("tiny-t5-v1_1"));
    assertFalse(v11.tieWordEmbeddings());
    assertTrue(v11.gatedAct());
    assertEquals("gelu_new", v11.activation());
    assertEquals(96, v11.dFf());
    for (T5Config c : new T5Config[] {v10, v11}) {
      assertEquals(32128, c.vocabSize());
      assertEquals(64, c.dModel());
      assertEquals(16, c.dKv());
      assertEquals(4, c.numHeads());
      assertEquals(2, c.numLayers());
      assertEquals(2, c.numDecoderLayers());
      assertEquals(32, c.relativeAttentionNumBuckets());
      assertEquals(128, c.relativeAttentionMaxDistance());
      assertEquals(1e-6, c.layerNormEpsilon());
      assertEquals(0, c.decoderStartTokenId());
      assertEquals(0, c.padTokenId());
      assertEquals(1, c.eosTokenId());
    }
  }

  @Test
  void realT5SmallConfig() throws Exception {
    T5Config c = T5Config.read(Golden.dir().resolve("t5-small-reference"));
    assertEquals(512, c.dModel());
    assertEquals(6, c.numLayers());
    assertEquals(6, c.numDecoderLayers());
    assertEquals(8, c.numHeads());
    assertEquals(2048, c.dFf());
    assertTrue(c.tieWordEmbeddings());
    assertEquals("T5ForConditionalGeneration", c.architecture());
  }

  @Test
  void derivationsAndDefaults() {
    T5Config c = T5Config.parse("{\"model_type\":\"t5\",\"feed_forward_proj\":\"gated-gelu\",\"num_layers\":3}");
    assertTrue(c.gatedAct());
    assertEquals("gelu_new", c.activation());
    assertEquals(3, c.numDecoderLayers(), "num_decoder_layers defaults to num_layers");
    assertTrue(c.tieWordEmbeddings());
    T5Config s = T5Config.parse("{\"feed_forward_proj\":\"gated-silu\",\"eos_token_id\":[1,2]}");
    assertEquals("silu", s.activation());
    assertEquals(1, s.eosTokenId());
    assertThrows(IllegalArgumentException.class, () -> T5Config.parse("{\"feed_forward_proj\":\"relu-gated\"}"));
    assertThrows(IllegalArgumentException.class, () -> T5Config.parse("{\"feed_forward_proj\":\"tanh\"}"));
    assertThrows(IllegalArgumentException.class, () -> T5Config.parse("{\"model_type\":\"bert\"}"));
    assertThrows(IllegalArgumentException.class, () -> T5Config.parse("{\"model_type\":\"umt5\"}"));
    assertEquals(250112, T5Config.parse("{\"model_type\":\"mt5\",\"vocab_size\":250112}").vocabSize());
    assertThrows(IllegalArgumentException.class, () -> T5Config.parse("{\"d_model\":\"big\"}"));
  }
}
