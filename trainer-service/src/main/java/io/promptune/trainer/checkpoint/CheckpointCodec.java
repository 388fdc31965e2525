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
import java.util.Arrays;

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
 */
public final class CheckpointCodec {

  private static final int MAGIC = 0x5054434b; // "PTCK"
  private static final int VERSION = 1;

  private CheckpointCodec() {}

  public static byte[] encode(TrainingState s) {
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
    byte[] body = bytes.toByteArray();
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
      if (version != VERSION) {
        throw new IOException("unsupported checkpoint version " + version);
      }
      int step = in.readInt();
      int length = in.readInt();
      int dModel = in.readInt();
      float[] prompt = StateIo.readFloats(in, length * dModel, "prompt");
      String kind = in.readUTF();
      if (!kind.equals(optimizer.kind())) {
        throw new IOException("checkpoint holds " + kind + " state, the job uses " + optimizer.kind());
      }
      optimizer.restore(in);
      long seed = in.readLong();
      int size = in.readInt();
      int epoch = in.readInt();
      int cursor = in.readInt();
      if (size != trainSize) {
        throw new IOException("checkpoint was taken over " + size + " training records, the job has " + trainSize);
      }
      long[] rng = {in.readLong(), in.readLong(), in.readLong(), in.readLong()};
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
      return new TrainingState(step, length, dModel, prompt, optimizer, new DataOrder(seed, size, epoch, cursor),
          Rng.fromState(rng), bestMetric, bestStep, bestPrompt, evals, lastLoss, finished, stopReason);
    }
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
