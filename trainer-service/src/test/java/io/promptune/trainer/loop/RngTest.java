package io.promptune.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {

  @Test
  void stateRoundTripContinuesTheStream() {
    Rng a = Rng.seeded(123);
    for (int i = 0; i < 17; i++) {
      a.nextLong();
    }
    Rng b = Rng.fromState(a.state());
    for (int i = 0; i < 100; i++) {
      assertEquals(a.nextLong(), b.nextLong());
    }
  }

  @Test
  void streamsAreIndependentAndStable() {
    assertNotEquals(Rng.forStream(1, Rng.STREAM_DATA, 0).nextLong(), Rng.forStream(1, Rng.STREAM_DATA, 1).nextLong());
    assertNotEquals(Rng.forStream(1, Rng.STREAM_DATA, 0).nextLong(), Rng.forStream(1, Rng.STREAM_INIT, 0).nextLong());
    assertEquals(Rng.forStream(1, Rng.STREAM_DATA, 5).nextLong(), Rng.forStream(1, Rng.STREAM_DATA, 5).nextLong());
  }

  @Test
  void boundedValues() {
    Rng r = Rng.seeded(9);
    int[] counts = new int[7];
    for (int i = 0; i < 70_000; i++) {
      counts[r.nextInt(7)]++;
      float f = r.nextFloat();
      assertTrue(f >= 0 && f < 1);
    }
    for (int c : counts) {
      assertTrue(c > 9_000 && c < 11_000, Arrays.toString(counts));
    }
  }

  @Test
  void dataOrderVisitsEveryRecordOncePerEpochAndResumesMidEpoch() {
    DataOrder o = new DataOrder(77, 10, 0, 0);
    int[] first = o.next(7);
    int[] second = o.next(7); // 3 from epoch 0, then 4 from epoch 1
    int[] epoch0 = DataOrder.permutation(77, 10, 0);
    int[] epoch1 = DataOrder.permutation(77, 10, 1);
    assertArrayEquals(Arrays.copyOfRange(epoch0, 0, 7), first);
    assertArrayEquals(new int[] {epoch0[7], epoch0[8], epoch0[9], epoch1[0], epoch1[1], epoch1[2], epoch1[3]}, second);
    int[] sorted = epoch0.clone();
    Arrays.sort(sorted);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted);
    assertEquals(1, o.epoch());
    assertEquals(4, o.cursor());
    DataOrder resumed = new DataOrder(77, 10, o.epoch(), o.cursor());
    assertArrayEquals(o.next(9), resumed.next(9));
  }
}
