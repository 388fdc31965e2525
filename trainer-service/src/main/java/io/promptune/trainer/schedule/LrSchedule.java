package io.promptune.trainer.schedule;

import io.promptune.api.v1.Schedule;

/**
 * The learning-rate multiplier of each step. Semantics are those of Hugging Face's LambdaLR schedules
 * ({@code get_constant_schedule}, {@code get_linear_schedule_with_warmup}, {@code get_inverse_sqrt_schedule}):
 * the lambda sees the number of steps already taken, so step 1 (1-based) uses factor(0).
 */
public interface LrSchedule {

  /** Multiplier for the update of 1-based step {@code step}. */
  double factor(int step);

  String describe();

  static LrSchedule of(Schedule s, int maxSteps) {
    return switch (s.getKindCase()) {
      case WARMUP_LINEAR -> new WarmupLinear(s.getWarmupLinear().getWarmupSteps(), maxSteps);
      case WARMUP_INVERSE_SQRT -> new WarmupInverseSqrt(s.getWarmupInverseSqrt().getWarmupSteps());
      case CONSTANT, KIND_NOT_SET -> new Constant();
    };
  }

  /** Checks ranges; returns an error message or null. */
  static String validate(Schedule s, int maxSteps) {
    int warmup = switch (s.getKindCase()) {
      case WARMUP_LINEAR -> s.getWarmupLinear().getWarmupSteps();
      case WARMUP_INVERSE_SQRT -> s.getWarmupInverseSqrt().getWarmupSteps();
      default -> 0;
    };
    if (warmup < 0) {
      return "schedule: warmup_steps must be >= 0";
    }
    if (s.hasWarmupLinear() && warmup >= maxSteps && maxSteps > 0) {
      return "schedule: warmup_steps (" + warmup + ") must be smaller than max_steps (" + maxSteps + ")";
    }
    return null;
  }

  record Constant() implements LrSchedule {
    @Override
    public double factor(int step) {
      return 1.0;
    }

    @Override
    public String describe() {
      return "constant";
    }
  }

  /** Linear warm-up from 0, then linear decay reaching 0 after the last step. */
  record WarmupLinear(int warmupSteps, int totalSteps) implements LrSchedule {
    @Override
    public double factor(int step) {
      int current = step - 1;
      if (current < warmupSteps) {
        return (double) current / Math.max(1, warmupSteps);
      }
      return Math.max(0.0, (double) (totalSteps - current) / Math.max(1, totalSteps - warmupSteps));
    }

    @Override
    public String describe() {
      return "warmup_linear(warmup_steps=" + warmupSteps + ")";
    }
  }

  /** Linear warm-up, then sqrt(timescale / (current + timescale - warmup)), timescale = warmup or 10,000. */
  record WarmupInverseSqrt(int warmupSteps) implements LrSchedule {
    @Override
    public double factor(int step) {
      int current = step - 1;
      if (current < warmupSteps) {
        return (double) current / Math.max(1, warmupSteps);
      }
      double timescale = warmupSteps == 0 ? 10_000 : warmupSteps;
      double shift = timescale - warmupSteps;
      return 1.0 / Math.sqrt((current + shift) / timescale);
    }

    @Override
    public String describe() {
      return "warmup_inverse_sqrt(warmup_steps=" + warmupSteps + ")";
    }
  }
}
