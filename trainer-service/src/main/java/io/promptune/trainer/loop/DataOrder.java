package io.promptune.trainer.loop;

/**
 * The order in which training records are visited: each epoch is a permutation drawn from a stream of the job's
 * seed that depends only on (seed, epoch), so (seed, epoch, cursor) is all a checkpoint needs to continue exactly.
 * A batch that runs past the end of an epoch continues at the start of the next one.
 */
public final class DataOrder {

  private final long seed;
  private final int size;
  private int epoch;
  private int cursor;
  private int[] permutation;

  public DataOrder(long seed, int size, int epoch, int cursor) {
    if (size <= 0) {
      throw new IllegalArgumentException("no training records");
    }
    if (epoch < 0 || cursor < 0 || cursor > size) {
      throw new IllegalArgumentException("bad data position epoch=" + epoch + " cursor=" + cursor + " of " + size);
    }
    this.seed = seed;
    this.size = size;
    this.epoch = epoch;
    this.cursor = cursor;
  }

  public static int[] permutation(long seed, int size, int epoch) {
    int[] p = new int[size];
    for (int i = 0; i < size; i++) {
      p[i] = i;
    }
    Rng.forStream(seed, Rng.STREAM_DATA, epoch).shuffle(p);
    return p;
  }

  /** The next {@code batchSize} record indices. */
  public int[] next(int batchSize) {
    int[] out = new int[batchSize];
    for (int i = 0; i < batchSize; i++) {
      if (cursor == size) {
        epoch++;
        cursor = 0;
        permutation = null;
      }
      if (permutation == null) {
        permutation = permutation(seed, size, epoch);
      }
      out[i] = permutation[cursor++];
    }
    return out;
  }

  public long seed() {
    return seed;
  }

  public int size() {
    return size;
  }

  public int epoch() {
    return epoch;
  }

  public int cursor() {
    return cursor;
  }
}
