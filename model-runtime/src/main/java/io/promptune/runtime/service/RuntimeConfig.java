package io.promptune.runtime.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code promptune.runtime.*}: which model, where it comes from, the request limits and the batching. */
@ConfigMapping(prefix = "promptune.runtime")
public interface RuntimeConfig {

  /** A checkpoint directory, a Hub id {@code org/name[@revision]}, or {@code generated:<name>}. */
  @WithDefault("generated:tiny-byt5")
  String model();

  /** tokenizer.json (or a directory with one) to use instead of the checkpoint's own. */
  Optional<Path> tokenizer();

  /** Downloaded and generated models; default {@code ~/.cache/promptune}. */
  Optional<Path> cacheDir();

  /** Never touch the network: Hub ids must already be in the cache. */
  @WithDefault("false")
  boolean offline();

  Hub hub();

  /** Exit the process when the model cannot be loaded (it could never become ready). */
  @WithDefault("true")
  boolean exitOnLoadFailure();

  /** DJL device: "cpu" (tested default) or "gpu"/"gpu0" with CUDA natives present. */
  @WithDefault("cpu")
  String device();

  /**
   * Dtype the frozen weight matrices are held in: "float32" (default), "bfloat16" or "float16" (half the
   * memory; activations, norms, softmax, loss and prompt gradients stay float32). Meant for GPUs.
   */
  @WithDefault("float32")
  String weightsDtype();

  /** PyTorch intra-op threads; 0 = all cores. */
  @WithDefault("0")
  int threads();

  /** Encoder tokens per example, prompt excluded. */
  @WithDefault("512")
  int maxInputTokens();

  /** Target tokens per example; also the cap on Generate's max_new_tokens. */
  @WithDefault("256")
  int maxTargetTokens();

  /** Rows of one soft prompt. */
  @WithDefault("1024")
  int maxPromptLength();

  /** Examples (or generate inputs) in one request. */
  @WithDefault("256")
  int maxBatchExamples();

  /** Tokens in one request: per example prompt + input + target (scores: per candidate; generate: per beam). */
  @WithDefault("262144")
  int maxRequestTokens();

  /** Beams of one Generate request. */
  @WithDefault("16")
  int maxBeams();

  Batching batching();

  Registry registry();

  interface Hub {
    /** The Hub (or a mirror with the same URL layout). */
    @WithDefault("https://huggingface.co")
    URI endpoint();

    /** Bearer token for gated or private repos; defaults to HF_TOKEN (application.properties). */
    Optional<String> token();
  }

  interface Batching {
    /** Merge concurrent callers into one engine call. */
    @WithDefault("true")
    boolean enabled();

    /** How long the first request of a batch waits for others. */
    @WithDefault("3ms")
    Duration window();

    /** Padded tokens of one merged engine call (rows × longest encoder+decoder length). */
    @WithDefault("32768")
    long maxTokens();
  }

  interface Registry {
    /** Registry versions cached by id (tensors are immutable); bytes of float32 data. */
    @WithName("cache-bytes")
    @WithDefault("268435456")
    long cacheBytes();

    /** Deadline of one registry call. */
    @WithDefault("10s")
    Duration timeout();
  }

  /** Fair use of the shared runtime (see InFlightLimits). */
  FairUse fairUse();

  interface FairUse {
    /** Requests in flight (queued or running) per principal; more are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("64")
    int maxInFlightPerPrincipal();

    /** The retry delay a refused caller is given (google.rpc.RetryInfo). */
    @WithDefault("1s")
    Duration retryAfter();
  }
}
