package io.promptune.gateway.testing;

import io.grpc.stub.StreamObserver;
import io.promptune.api.Tensors;
import io.promptune.api.v1.Ensemble;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.NearestTokenRow;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TokenSimilarity;
import io.promptune.api.v1.VersionKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

/**
 * What the nearest-token tests see: a version "inspect:1" whose three rows are 3*e0, 3*e1 + 4*e2 and e5+e6+e7+e8
 * (d_model 64), an ensemble "inspect-ensemble:1", and a runtime vocabulary of 16 tokens whose embeddings are the unit
 * vectors e0..e15, so every cosine can be worked out by hand.
 */
public final class InspectFixtures {

  public static final String VERSION_ID = "44444444-4444-4444-4444-444444444444";
  public static final String ENSEMBLE_ID = "55555555-5555-5555-5555-555555555555";
  public static final int D_MODEL = 64;
  public static final int VOCAB = 16;
  /** Pieces of the fake vocabulary: 0 is "positive", 1 "negative", 2 "the" (SentencePiece style). */
  public static final List<String> PIECES = IntStream.range(0, VOCAB)
      .mapToObj(i -> switch (i) {
        case 0 -> "\u2581positive";
        case 1 -> "\u2581negative";
        case 2 -> "\u2581the";
        default -> "t" + i;
      }).toList();

  /** Every NearestTokens request the fake runtime received, in order. */
  public static final List<NearestTokensRequest> REQUESTS = new CopyOnWriteArrayList<>();

  private InspectFixtures() {}

  static float[] tensor() {
    float[] t = new float[3 * D_MODEL];
    t[0] = 3;
    t[D_MODEL + 1] = 3;
    t[D_MODEL + 2] = 4;
    for (int c = 5; c <= 8; c++) {
      t[2 * D_MODEL + c] = 1;
    }
    return t;
  }

  /** Answers the fixture versions; false for any other reference. */
  static boolean getVersion(String ref, StreamObserver<PromptVersion> out) {
    if (ref.equals(VERSION_ID) || ref.equals("inspect:1") || ref.equals("inspect@prod")) {
      out.onNext(PromptVersion.newBuilder().setId(VERSION_ID).setPromptName("inspect").setNumber(1).setLength(3)
          .setDModel(D_MODEL).setKind(VersionKind.SINGLE_PROMPT).putHyperparameters("task_format", "sst2")
          .setTensor(Tensors.float32(tensor(), 3, D_MODEL)).build());
    } else if (ref.equals("inspect:2") || ref.equals("inspect:3")) {
      // Trained by a job whose task format names its labels (inspect:2) or only a label map (inspect:3).
      out.onNext(PromptVersion.newBuilder().setId(VERSION_ID).setPromptName("inspect").setNumber(ref.equals(
          "inspect:2") ? 2 : 3).setLength(3).setDModel(D_MODEL).setKind(VersionKind.SINGLE_PROMPT)
          .setTrainingJobId(ref.equals("inspect:2") ? "job-labels" : "job-label-map")
          .setTensor(Tensors.float32(tensor(), 3, D_MODEL)).build());
    } else if (ref.equals(ENSEMBLE_ID) || ref.equals("inspect-ensemble:1")) {
      out.onNext(PromptVersion.newBuilder().setId(ENSEMBLE_ID).setPromptName("inspect-ensemble").setNumber(1)
          .setDModel(D_MODEL).setKind(VersionKind.ENSEMBLE).setEnsemble(Ensemble.newBuilder()
              .addMembers(EnsembleMember.newBuilder().setPromptName("inspect").setNumber(1).setVersionId(VERSION_ID))
              .addMembers(EnsembleMember.newBuilder().setPromptName("sentiment").setNumber(2)))
          .build());
    } else {
      return false;
    }
    out.onCompleted();
    return true;
  }

  /** The fake runtime's NearestTokens: exact cosines against e0..e15, ties to the lower id. */
  static NearestTokensResponse nearest(NearestTokensRequest r) {
    REQUESTS.add(r);
    float[] p;
    if (r.getPrompt().hasTensor()) {
      p = Tensors.toFloats(r.getPrompt().getTensor(), "prompt");
    } else if (r.getPrompt().getVersion().getRef().equals(VERSION_ID)) {
      p = tensor();
    } else {
      throw new IllegalArgumentException("unknown prompt " + r.getPrompt());
    }
    int k = r.getK() == 0 ? 5 : r.getK();
    NearestTokensResponse.Builder out = NearestTokensResponse.newBuilder();
    for (int row = 0; row < p.length / D_MODEL; row++) {
      double norm = 0;
      for (int c = 0; c < D_MODEL; c++) {
        norm += p[row * D_MODEL + c] * p[row * D_MODEL + c];
      }
      double n = Math.max(Math.sqrt(norm), 1e-8);
      List<TokenSimilarity> sims = new ArrayList<>();
      for (int t = 0; t < VOCAB; t++) {
        sims.add(TokenSimilarity.newBuilder().setTokenId(t).setPiece(PIECES.get(t))
            .setCosine((float) (p[row * D_MODEL + t] / n)).build());
      }
      sims.sort(Comparator.comparingDouble((TokenSimilarity s) -> -s.getCosine())
          .thenComparingInt(TokenSimilarity::getTokenId));
      out.addRows(NearestTokenRow.newBuilder().addAllTokens(sims.subList(0, Math.min(k, VOCAB))));
    }
    return out.build();
  }

  /** Answers the jobs behind inspect:2 and inspect:3; false for any other id. */
  static boolean getJob(String id, StreamObserver<Job> out) {
    TaskFormat.Builder f = TaskFormat.newBuilder().setName("mine");
    if (id.equals("job-labels")) {
      f.addLabels("the").addLabels("zebra");
    } else if (id.equals("job-label-map")) {
      f.putLabelMap("1", "positive").putLabelMap("0", "negative").putLabelMap("yes", "positive");
    } else {
      return false;
    }
    out.onNext(Job.newBuilder().setId(id).setSpec(JobSpec.newBuilder().setTaskFormat(f)).build());
    out.onCompleted();
    return true;
  }
}
