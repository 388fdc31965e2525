package io.promptune.client;

import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Text;
import java.nio.file.Path;
import java.time.Duration;

/** The example in client/README.md, compiled here; ReadmeExampleTest checks that the README holds it verbatim. */
final class ReadmeExample {

  private ReadmeExample() {}

  // README:start
  /** Which label the prompt in prod picks for a review. */
  static String classify(String review) {
    try (PromptuneClient client = PromptuneClient.builder()
        .registryTarget("promptune.internal:9102")
        .runtimeTarget("promptune.internal:9101")
        .apiKeyFile(Path.of("/etc/promptune/api-key"))   // or .apiKey(System.getenv("PROMPTUNE_API_KEY"))
        .tls(Path.of("/etc/promptune/ca.pem"))           // omit for a plaintext deployment
        .deadline(Duration.ofSeconds(5))                 // for calls that set none themselves
        .build()) {
      // Pin the version prod points at now, so both calls below see the same prompt.
      PromptVersion v = client.registry().getVersion(GetVersionRequest.newBuilder()
          .setVersion(VersionRefs.parse("sentiment@prod")).build());
      ScoreResponse scores = client.runtime().score(ScoreRequest.newBuilder()
          .addPrompts(PromptRef.newBuilder().setVersion(VersionRefs.parse(v.getId())))
          .addExamples(ScoreExample.newBuilder()
              .setInput(Text.newBuilder().setText(review))
              .addCandidates(Text.newBuilder().setText("positive"))
              .addCandidates(Text.newBuilder().setText("negative")))
          .build());
      return scores.getExamples(0).getBestIndex() == 0 ? "positive" : "negative";
    }
  }
  // README:end
}
