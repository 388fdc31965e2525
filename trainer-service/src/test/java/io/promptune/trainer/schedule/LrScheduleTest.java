package io.promptune.trainer.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.promptune.api.v1.Schedule;
import io.promptune.api.v1.WarmupInverseSqrtSchedule;
import io.promptune.api.v1.WarmupLinearSchedule;
import org.junit.jupiter.api.Test;

/** Values from Hugging Face's LambdaLR schedules, where step s (1-based) uses lambda(s - 1). */
class LrScheduleTest {

  @Test
  void constantIsOne() {
    LrSchedule s = LrSchedule.of(Schedule.getDefaultInstance(), 100);
    assertEquals(1.0, s.factor(1));
    assertEquals(1.0, s.factor(1000));
  }

  @Test
  void warmupLinear() {
    // warmup 4 of 10: lambda(c) = c/4 for c < 4, then (10 - c) / 6
    LrSchedule s = LrSchedule.of(Schedule.newBuilder()
        .setWarmupLinear(WarmupLinearSchedule.newBuilder().setWarmupSteps(4)).build(), 10);
    assertEquals(0.0, s.factor(1));
    assertEquals(0.25, s.factor(2));
    assertEquals(0.75, s.factor(4));
    assertEquals(1.0, s.factor(5));
    assertEquals(5.0 / 6, s.factor(6), 1e-12);
    assertEquals(1.0 / 6, s.factor(10), 1e-12);
    assertEquals(0.0, s.factor(11));
  }

  @Test
  void warmupInverseSqrt() {
    // warmup 4: c/4 for c < 4, then 1 / sqrt(c / 4)
    LrSchedule s = LrSchedule.of(Schedule.newBuilder()
        .setWarmupInverseSqrt(WarmupInverseSqrtSchedule.newBuilder().setWarmupSteps(4)).build(), 100);
    assertEquals(0.5, s.factor(3));
    assertEquals(1.0, s.factor(5));
    assertEquals(0.5, s.factor(17), 1e-12); // c = 16
    assertEquals(Math.sqrt(4.0 / 99), s.factor(100), 1e-12);
  }

  @Test
  void inverseSqrtWithoutWarmupUsesTimescale10000() {
    LrSchedule s = LrSchedule.of(Schedule.newBuilder()
        .setWarmupInverseSqrt(WarmupInverseSqrtSchedule.getDefaultInstance()).build(), 100);
    assertEquals(1.0, s.factor(1));
    assertEquals(1 / Math.sqrt(2), s.factor(10001), 1e-12);
  }

  @Test
  void validation() {
    assertNotNull(LrSchedule.validate(Schedule.newBuilder()
        .setWarmupLinear(WarmupLinearSchedule.newBuilder().setWarmupSteps(10)).build(), 10));
    assertNotNull(LrSchedule.validate(Schedule.newBuilder()
        .setWarmupInverseSqrt(WarmupInverseSqrtSchedule.newBuilder().setWarmupSteps(-1)).build(), 10));
    assertNull(LrSchedule.validate(Schedule.newBuilder()
        .setWarmupLinear(WarmupLinearSchedule.newBuilder().setWarmupSteps(9)).build(), 10));
  }
}
