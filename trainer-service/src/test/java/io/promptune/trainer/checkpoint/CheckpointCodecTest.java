package io.promptune.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.trainer.loop.DataOrder;
import io.promptune.trainer.loop.Rng;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.optim.Adafactor;
import io.promptune.trainer.optim.AdamW;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class CheckpointCodecTest {

  private static TrainingState sample(Adafactor opt) {
    float[] p = {1f, -0f, Float.MIN_VALUE, 3.5f, 1e-30f, -2f};
    float[] g = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f};
    opt.step(p, g, 0.3);
    opt.step(p, g, 0.3);
    p[1] = -0f; // signed zero must survive
    DataOrder order = new DataOrder(-5L, 17, 3, 11);
    Rng rng = Rng.seeded(8);
    rng.nextLong();
    return new TrainingState(42, 2, 3, p, opt, order, rng, 0.8125, 40, new float[] {9, 8, 7, 6, 5, 4}, 1, 0.25f,
        false, "");
  }

  @Test
  void roundTripRestoresEveryField() throws IOException {
    TrainingState s = sample(new Adafactor(2, 3, new Adafactor.Settings(0.3, 0.8, 1e-5, 1, false, 1e-30, 1e-3, 0.9)));
    byte[] bytes = CheckpointCodec.encode(s);
    TrainingState r = CheckpointCodec.decode(bytes,
        new Adafactor(2, 3, new Adafactor.Settings(0.3, 0.8, 1e-5, 1, false, 1e-30, 1e-3, 0.9)), 17);
    assertEquals(42, r.step());
    assertArrayEquals(s.prompt(), r.prompt());
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(r.prompt()[1]));
    assertArrayEquals(s.bestPrompt(), r.bestPrompt());
    assertEquals(0.8125, r.bestMetric());
    assertEquals(40, r.bestStep());
    assertEquals(1, r.evalsWithoutImprovement());
    assertEquals(0.25f, r.lastLoss());
    assertEquals(-5L, r.order().seed());
    assertEquals(3, r.order().epoch());
    assertEquals(11, r.order().cursor());
    assertArrayEquals(s.rng().state(), r.rng().state());
    assertEquals(2, r.optimizer().steps());
    assertArrayEquals(bytes, CheckpointCodec.encode(r), "encode(decode(x)) == x");
  }

  @Test
  void damagedOrMismatchedCheckpointsAreRejected() {
    TrainingState s = sample(new Adafactor(2, 3, Adafactor.Settings.paper()));
    byte[] bytes = CheckpointCodec.encode(s);
    byte[] flipped = bytes.clone();
    flipped[20] ^= 1;
    var e = assertThrows(IOException.class,
        () -> CheckpointCodec.decode(flipped, new Adafactor(2, 3, Adafactor.Settings.paper()), 17));
    assertTrue(e.getMessage().contains("checksum"));
    assertThrows(IOException.class, () -> CheckpointCodec.decode(bytes, new AdamW(6, AdamW.Settings.defaults()), 17));
    assertThrows(IOException.class,
        () -> CheckpointCodec.decode(bytes, new Adafactor(2, 3, Adafactor.Settings.paper()), 18));
    assertThrows(IOException.class,
        () -> CheckpointCodec.decode(bytes, new Adafactor(3, 2, Adafactor.Settings.paper()), 17));
  }
}
