package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The incremental decoder's state: per layer the self-attention K/V cache [N, H, t, dk] (appended each step)
 * and the cross-attention K/V [E, H, L, dk] (computed once from the encoder output), the encoder key mask
 * [E, 1, 1, L], and the number of decoder rows per encoder row ({@code groups}: beams).
 *
 * <p>Decoding loops run each step in a short-lived manager: {@link #attach} the state to it, step, then attach
 * the (new) state back to the call's manager, so superseded caches are freed every step.
 */
public final class DecoderState {

  final NDArray[] selfK;
  final NDArray[] selfV;
  final NDArray[] crossK;
  final NDArray[] crossV;
  NDArray encoderMask;
  final int groups;
  int step;

  DecoderState(int layers, NDArray[] crossK, NDArray[] crossV, NDArray encoderMask, int groups) {
    this.selfK = new NDArray[layers];
    this.selfV = new NDArray[layers];
    this.crossK = crossK;
    this.crossV = crossV;
    this.encoderMask = encoderMask;
    this.groups = groups;
  }

  /** Number of tokens already decoded (the position of the next one). */
  public int step() {
    return step;
  }

  public int groups() {
    return groups;
  }

  /** Moves every array of the state to {@code manager}. */
  public void attach(NDManager manager) {
    for (NDArray[] arrays : new NDArray[][] {selfK, selfV, crossK, crossV}) {
      for (NDArray a : arrays) {
        if (a != null) {
          a.attach(manager);
        }
      }
    }
    encoderMask.attach(manager);
  }

  /**
   * Keeps / reorders decoder rows: row r of the new state is row {@code rows[r]} of the current one (beam
   * reordering, dropping finished rows). The new arrays live in {@code m}.
   */
  public void selectRows(NDManager m, long[] rows) {
    NDArray idx = m.create(rows);
    for (int l = 0; l < selfK.length; l++) {
      if (selfK[l] != null) {
        selfK[l] = gatherRows(idx, selfK[l]);
        selfV[l] = gatherRows(idx, selfV[l]);
      }
    }
  }

  /** Keeps / reorders encoder rows (queries): used when whole queries finish. */
  public void selectEncoderRows(NDManager m, long[] encoderRows) {
    NDArray idx = m.create(encoderRows);
    for (int l = 0; l < crossK.length; l++) {
      crossK[l] = gatherRows(idx, crossK[l]);
      crossV[l] = gatherRows(idx, crossV[l]);
    }
    encoderMask = gatherRows(idx, encoderMask);
  }

  private static NDArray gatherRows(NDArray idx, NDArray a) {
    return Ops.gatherRows(idx, a);
  }
}
