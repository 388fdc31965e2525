package io.promptune.trainer.checkpoint;

import io.promptune.trainer.loop.DataOrder;
import io.promptune.trainer.loop.Rng;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.optim.PromptOptimizer;
import io.promptune.trainer.optim.StateIo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * A checkpoint's bytes (big-endian, floats as raw IEEE 754 bits so they round-trip exactly):
 *
 * <pre>
 *   "PTCK" version(int)=1
 *   step, length, d_model                       ints
 *   P                                           float[length*d_model]
 *   optimiser kind (UTF), optimiser state       Adafactor: t, row/col second moments, first moment or none;
 *                                               AdamW: t, m, v
 *   data order: seed (long), size, epoch, cursor (ints)
 *   loop RNG: four longs (xoshiro256** state)
 *   best metric (double, NaN = none), best step (int), best P (float[] or none)
 *   evaluations without improvement (int), last loss (float), finished (bool), stop reason (UTF)
 *   sha256 of everything above                  32 bytes
 * </pre>
 *
 * <p>An ensemble job's state is written as version 2 (a single-prompt job still writes version 1, byte for byte as
 * before, and both versions load):
 *
 * <pre>
 *   "PTCK" version(int)=2
 *   step, length, d_model, members                ints
 *   per member: P, optimiser kind and state, data order, loop RNG (as in version 1), best P (float[] or none),
 *               its own value at the best step (double, NaN = none), last loss (float)
 *   best metric (double: the ensemble's), best step, evaluations without improvement (ints), finished (bool),
 *   stop reason (UTF)
 *   sha256 of everything above                    32 bytes
 * </pre>
 */
public final class CheckpointCodec {

  private static final int MAGIC = 0x5054434b; // "PTCK"
  private static final int VERSION = 1;
  private static final int VERSION_ENSEMBLE = 2;

  private CheckpointCodec() {}

  public static byte[] encode(TrainingState s) {
    if (s.isEnsemble()) {
      return encodeEnsemble(s);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + s.prompt().length * 12);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(s.step());
      out.writeInt(s.length());
      out.writeInt(s.dModel());
      StateIo.writeFloats(out, s.prompt());
      out.writeUTF(s.optimizer().kind());
      s.optimizer().save(out);
      DataOrder o = s.order();
      out.writeLong(o.seed());
      out.writeInt(o.size());
      out.writeInt(o.epoch());
      out.writeInt(o.cursor());
      for (long w : s.rng().state()) {
        out.writeLong(w);
      }
      out.writeDouble(s.bestMetric());
      out.writeInt(s.bestStep());
      StateIo.writeFloats(out, s.bestPrompt());
      out.writeInt(s.evalsWithoutImprovement());
      out.writeFloat(s.lastLoss());
      out.writeBoolean(s.finished());
      out.writeUTF(s.stopReason());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return withHash(bytes.toByteArray());
  }

  private static byte[] encodeEnsemble(TrainingState s) {
    int n = s.members().size();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + n * s.prompt().length * 12);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION_ENSEMBLE);
      out.writeInt(s.step());
      out.writeInt(s.length());
      out.writeInt(s.dModel());
      out.writeInt(n);
      for (TrainingState.Member m : s.members()) {
        StateIo.writeFloats(out, m.prompt());
        out.writeUTF(m.optimizer().kind());
        m.optimizer().save(out);
        DataOrder o = m.order();
        out.writeLong(o.seed());
        out.writeInt(o.size());
        out.writeInt(o.epoch());
        out.writeInt(o.cursor());
        for (long w : m.rng().state()) {
          out.writeLong(w);
        }
        StateIo.writeFloats(out, m.bestPrompt());
        out.writeDouble(m.bestValue());
        out.writeFloat(m.lastLoss());
      }
      out.writeDouble(s.bestMetric());
      out.writeInt(s.bestStep());
      out.writeInt(s.evalsWithoutImprovement());
      out.writeBoolean(s.finished());
      out.writeUTF(s.stopReason());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return withHash(bytes.toByteArray());
  }

  private static byte[] withHash(byte[] body) {
    byte[] hash = sha256(body, body.length);
    byte[] all = Arrays.copyOf(body, body.length + hash.length);
    System.arraycopy(hash, 0, all, body.length, hash.length);
    return all;
  }

  /**
   * Restores a state.
   *
   * @param optimizer a fresh optimiser of the job (same kind and shape); its state is replaced
   * @param trainSize the job's number of training records, which must match the checkpoint's
   * @throws IOException when the bytes are damaged or belong to a different job configuration
   */
  public static TrainingState decode(byte[] data, PromptOptimizer optimizer, int trainSize) throws IOException {
    boolean[] first = {true};
    return decode(data, () -> {
      if (!first[0]) {
        throw new IllegalStateException("one optimiser for several members");
      }
      first[0] = false;
      return optimizer;
    }, 1, trainSize);
  }

  /**
   * Restores a state of {@code members} prompts (1: a single-prompt job).
   *
   * @param optimizers makes a fresh optimiser of the job (same kind and shape) per member; their state is replaced
   * @throws IOException when the bytes are damaged or belong to a different job configuration (e.g. another number
   *                     of members)
   */
  public static TrainingState decode(byte[] data, Supplier<PromptOptimizer> optimizers,
      int members, int trainSize) throws IOException {
    if (data.length < 32 + 8) {
      throw new IOException("checkpoint too short");
    }
    int bodyLength = data.length - 32;
    if (!Arrays.equals(sha256(data, bodyLength), Arrays.copyOfRange(data, bodyLength, data.length))) {
      throw new IOException("checkpoint checksum mismatch");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, bodyLength))) {
      if (in.readInt() != MAGIC) {
        throw new IOException("not a checkpoint");
      }
      int version = in.readInt();
      if (version == VERSION_ENSEMBLE) {
        return decodeEnsemble(in, optimizers, members, trainSize);
      }
      if (version != VERSION) {
        throw new IOException("unsupported checkpoint version " + version);
      }
      if (members != 1) {
        throw new IOException("checkpoint holds one prompt, the job trains an ensemble of " + members);
      }
      PromptOptimizer optimizer = optimizers.get();
      int step = in.readInt();
      int length = in.readInt();
      int dModel = in.readInt();
      float[] prompt = StateIo.readFloats(in, length * dModel, "prompt");
      readOptimizer(in, optimizer);
      DataOrder order = readDataOrder(in, trainSize);
      Rng rng = readRng(in);
      double bestMetric = in.readDouble();
      int bestStep = in.readInt();
      float[] bestPrompt = StateIo.readFloats(in);
      int evals = in.readInt();
      float lastLoss = in.readFloat();
      boolean finished = in.readBoolean();
      String stopReason = in.readUTF();
      if (in.available() != 0) {
        throw new IOException("trailing bytes in checkpoint");
      }
      return new TrainingState(step, length, dModel, prompt, optimizer, order, rng, bestMetric, bestStep, bestPrompt, evals, lastLoss, finished, stopReason);
    }
  }

  // The parts every prompt of a checkpoint has, in this order after its P (both versions).

  private static PromptOptimizer readOptimizer(DataInputStream in, PromptOptimizer optimizer) throws IOException {
    String kind = in.readUTF();
    if (!kind.equals(optimizer.kind())) {
      throw new IOException("checkpoint holds " + kind + " state, the job uses " + optimizer.kind());
    }
    optimizer.restore(in);
    return optimizer;
  }

  private static DataOrder readDataOrder(DataInputStream in, int trainSize) throws IOException {
    long seed = in.readLong();
    int size = in.readInt();
    int epoch = in.readInt();
    int cursor = in.readInt();
    if (size != trainSize) {
      throw new IOException("checkpoint was taken over " + size + " training records, the job has " + trainSize);
    }
    return new DataOrder(seed, size, epoch, cursor);
  }

  private static Rng readRng(DataInputStream in) throws IOException {
    return Rng.fromState(new long[] {in.readLong(), in.readLong(), in.readLong(), in.readLong()});
  }

  private static TrainingState decodeEnsemble(DataInputStream in, Supplier<PromptOptimizer> optimizers,
      int members, int trainSize) throws IOException {
    int step = in.readInt();
    int length = in.readInt();
    int dModel = in.readInt();
    int n = in.readInt();
    if (n != members) {
      throw new IOException("checkpoint holds " + n + " prompts, the job trains " + members);
    }
    List<TrainingState.Member> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] prompt = StateIo.readFloats(in, length * dModel, "prompt of member " + i);
      PromptOptimizer optimizer = readOptimizer(in, optimizers.get());
      DataOrder order = readDataOrder(in, trainSize);
      Rng rng = readRng(in);
      float[] bestPrompt = StateIo.readFloats(in);
      double bestValue = in.readDouble();
      float lastLoss = in.readFloat();
      list.add(new TrainingState.Member(prompt, optimizer, order, rng, bestPrompt, bestValue, lastLoss));
    }
    double bestMetric = in.readDouble();
    int bestStep = in.readInt();
    int evals = in.readInt();
    boolean finished = in.readBoolean();
    String stopReason = in.readUTF();
    if (in.available() != 0) {
      throw new IOException("trailing bytes in checkpoint");
    }
    return new TrainingState(step, length, dModel, list, bestMetric, bestStep, evals, finished, stopReason);
  }

  public static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, 0, length);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
