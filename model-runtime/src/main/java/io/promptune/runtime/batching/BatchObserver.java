package io.promptune.runtime.batching;

/** Told about every engine call {@link BatchingEngine} makes (metrics). Called on the thread that ran the batch. */
public interface BatchObserver {

  BatchObserver NONE = stats -> {};

  void onBatch(BatchStats stats);
}
