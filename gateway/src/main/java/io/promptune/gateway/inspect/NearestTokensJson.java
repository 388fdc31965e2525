package io.promptune.gateway.inspect;

import io.promptune.api.v1.NearestTokenRow;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TokenSimilarity;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * GET /v1/versions/{ref}/nearest-tokens: each prompt row's nearest vocabulary tokens by cosine similarity, beside the
 * same for random rows of equal norms (the baseline), with the summary figures that compare the two.
 */
@Schema(description = "Each prompt row's k nearest vocabulary tokens by cosine similarity (the runtime's "
    + "NearestTokens), beside a random baseline: for each row a random vector of the same L2 norm, seeded from the "
    + "version id.")
public record NearestTokensJson(
    @Schema(description = "The version inspected (resolved from the reference).") String versionId,
    String promptName,
    int number,
    int length,
    int dModel,
    int k,
    @Schema(description = "The class labels the rows are checked against.") List<String> labels,
    @Schema(description = "Where the labels came from: request (the labels parameter), version_hyperparameters "
        + "(a 'labels' hyperparameter), training_job (the task format of the job that trained it), task_format "
        + "or prompt_task (a built-in task's labels), or none.")
    String labelsSource,
    List<RowJson> rows,
    BaselineJson baseline,
    SummaryJson summary) {

  /** One prompt row (or random row) and its nearest tokens, most similar first. */
  public record RowJson(
      int index,
      @Schema(description = "L2 norm of the row.") double norm,
      List<TokenJson> tokens,
      @Schema(description = "True when one of the row's nearest tokens is a class label.") boolean labelMatch) {}

  public record TokenJson(int tokenId, String piece, float cosine,
      @Schema(description = "The class label this token is, when it is one.") String label) {}

  public record BaselineJson(
      @Schema(description = "Seed of the random rows (decimal; derived from the version id).") String seed,
      @Schema(description = "How the random rows are made.") String method,
      List<RowJson> rows) {}

  public record SummaryJson(
      @Schema(description = "Mean over the prompt rows of the top-1 cosine.") double meanTop1Cosine,
      @Schema(description = "Mean over the random rows of the top-1 cosine.") double baselineMeanTop1Cosine,
      @Schema(description = "Prompt rows with a class label among their nearest tokens.") int rowsWithLabelMatch,
      @Schema(description = "Random rows with a class label among their nearest tokens.")
      int baselineRowsWithLabelMatch) {}

  static final String METHOD = "per row: isotropic Gaussian direction (java.util.Random) scaled to the row's L2 norm";

  /** Assembles the report from the runtime's answers for the trained rows and for the random rows. */
  public static NearestTokensJson of(PromptVersion v, int k, TaskLabels labels, double[] norms,
      NearestTokensResponse trained, long seed, double[] baselineNorms, NearestTokensResponse random) {
    if (trained.getRowsCount() != norms.length || random.getRowsCount() != baselineNorms.length) {
      throw new IllegalStateException("the runtime answered " + trained.getRowsCount() + " and "
          + random.getRowsCount() + " rows for a prompt of " + norms.length + " rows");
    }
    List<RowJson> rows = rows(trained, norms, labels);
    List<RowJson> base = rows(random, baselineNorms, labels);
    SummaryJson summary = new SummaryJson(meanTop1(rows), meanTop1(base), matches(rows), matches(base));
    return new NearestTokensJson(v.getId(), v.getPromptName(), v.getNumber(), v.getLength(), v.getDModel(), k,
        labels.labels(), labels.source(), rows, new BaselineJson(Long.toUnsignedString(seed), METHOD, base), summary);
  }

  private static List<RowJson> rows(NearestTokensResponse r, double[] norms, TaskLabels labels) {
    List<RowJson> out = new ArrayList<>(norms.length);
    for (int i = 0; i < norms.length; i++) {
      NearestTokenRow row = r.getRows(i);
      List<TokenJson> tokens = new ArrayList<>(row.getTokensCount());
      boolean match = false;
      for (TokenSimilarity t : row.getTokensList()) {
        String label = labels.labelOf(t.getPiece());
        match |= label != null;
        tokens.add(new TokenJson(t.getTokenId(), t.getPiece(), t.getCosine(), label));
      }
      out.add(new RowJson(i, norms[i], List.copyOf(tokens), match));
    }
    return List.copyOf(out);
  }

  private static double meanTop1(List<RowJson> rows) {
    return rows.stream().filter(r -> !r.tokens().isEmpty()).mapToDouble(r -> r.tokens().get(0).cosine()).average()
        .orElse(0);
  }

  private static int matches(List<RowJson> rows) {
    return (int) rows.stream().filter(RowJson::labelMatch).count();
  }
}
