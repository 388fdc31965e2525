package io.promptune.trainer.loop;

import java.util.Arrays;

/**
 * xoshiro256** with its whole state exposed, so a checkpoint can store it and a resumed job continues the exact
 * same stream. java.util.Random / SplittableRandom hide their state, which is why they are not used here.
 */
public final class Rng {

  /** Stream ids mixed into the job seed: each use of randomness gets its own independent stream. */
  public static final long STREAM_INIT = 0x494e4954L;      // "INIT": prompt initialisation
  public static final long STREAM_LOOP = 0x4c4f4f50L;      // "LOOP": the loop's general-purpose RNG
  public static final long STREAM_DATA = 0x44415441L;      // "DATA": per-epoch data order

  private long s0;
  private long s1;
  private long s2;
  private long s3;

  private Rng(long s0, long s1, long s2, long s3) {
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    if ((s0 | s1 | s2 | s3) == 0) {
      throw new IllegalArgumentException("xoshiro256** state must not be all zero");
    }
  }

  /** Seeds the four state words from SplitMix64, as the xoshiro authors recommend. */
  public static Rng seeded(long seed) {
    long[] sm = {seed};
    return new Rng(splitMix(sm), splitMix(sm), splitMix(sm), splitMix(sm));
  }

  /** An independent stream for (seed, stream, index), e.g. the data order of one epoch. */
  public static Rng forStream(long seed, long stream, long index) {
    long[] sm = {seed};
    long a = splitMix(sm);
    sm[0] = a ^ (stream * 0x9e3779b97f4a7c15L);
    long b = splitMix(sm);
    sm[0] = b ^ (index * 0xc2b2ae3d27d4eb4fL);
    return seeded(splitMix(sm));
  }

  public static Rng forStream(long seed, long stream) {
    return forStream(seed, stream, 0);
  }

  private static long splitMix(long[] state) {
    long z = (state[0] += 0x9e3779b97f4a7c15L);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    long result = Long.rotateLeft(s1 * 5, 7) * 9;
    long t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = Long.rotateLeft(s3, 45);
    return result;
  }

  /** Uniform in [0, bound), unbiased (rejection as in java.util.Random#nextInt(int)). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    int bits;
    int val;
    do {
      bits = (int) (nextLong() >>> 33);
      val = bits % bound;
    } while (bits - val + (bound - 1) < 0);
    return val;
  }

  /** Uniform in [0, 1) with 24 random bits. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** In-place Fisher–Yates shuffle. */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  public long[] state() {
    return new long[] {s0, s1, s2, s3};
  }

  public static Rng fromState(long[] state) {
    if (state.length != 4) {
      throw new IllegalArgumentException("xoshiro256** state has 4 words, got " + state.length);
    }
    return new Rng(state[0], state[1], state[2], state[3]);
  }

  @Override
  public String toString() {
    return "Rng" + Arrays.toString(state());
  }
}
