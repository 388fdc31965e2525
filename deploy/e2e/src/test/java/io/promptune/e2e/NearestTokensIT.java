package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.api.Tensors;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizedText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "What a prompt encodes" on real processes: a version is published whose rows are the runtime's own input
 * embeddings of chosen tokens (EmbedTokens), scaled, so each row's nearest token is known in advance with cosine 1
 * and the row norms are known from the embeddings. The console's nearest-token view, in a real headless Chromium,
 * must show those tokens first, mark the row whose token is the recorded class label, and show beside each row a
 * random baseline row of the same norm whose best cosine is far lower; `promptune prompts inspect` prints the same.
 * On the shared deployment; no training, well under a minute once the deployment is up.
 */
@ExtendWith(SharedDeployment.class)
class NearestTokensIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  static Deployment deployment;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  @Test
  void consoleShowsEachRowsNearestTokensBesideARandomBaseline(Deployment shared) throws Exception {
    deployment = shared;
    ModelInfo model = shared.runtime().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    int d = model.getDModel();
    // Three tokens the tokenizer makes of "kqz" (ByT5: one per byte; SentencePiece: pieces of it), not repeated.
    TokenizedText tok = shared.runtime().tokenize(TokenizeRequest.newBuilder().addTexts("kqz").build()).getTexts(0);
    List<Integer> ids = tok.getIdsList().stream().distinct().limit(3).toList();
    assertTrue(ids.size() >= 2, "the tokenizer made fewer than two distinct tokens of 'kqz': " + tok);
    String labelPiece = tok.getPieces(tok.getIdsList().indexOf(ids.get(0)));
    float[] emb = Tensors.toFloats(shared.runtime().embedTokens(EmbedTokensRequest.newBuilder().addAllIds(ids)
        .build()).getEmbeddings(), "embeddings");
    int n = ids.size();
    float[] rows = new float[n * d];
    double[] norms = new double[n];
    for (int r = 0; r < n; r++) {
      float scale = r + 2; // cosine ignores the scale; the norm does not
      double sum = 0;
      for (int c = 0; c < d; c++) {
        rows[r * d + c] = emb[r * d + c] * scale;
        sum += (double) rows[r * d + c] * rows[r * d + c];
      }
      norms[r] = Math.sqrt(sum);
    }
    PromptVersion v = shared.registry().publishVersion(PublishVersionRequest.newBuilder()
        .setPromptName("e2e-nearest-tokens").setCreatePromptIfMissing(true).setTask("e2e")
        .setTensor(Tensors.float32(rows, n, d)).setBaseModelId(model.getModelId())
        .setBaseModelFingerprint(model.getFingerprint()).setTokenizerFingerprint(model.getTokenizerFingerprint())
        .setInitMethod(InitMethod.TEXT).putHyperparameters("labels", labelPiece.replace("\u2581", ""))
        .build());

    // The CLI prints the table and the baseline summary.
    // The shared deployment saves no CLI key: the test's admin key goes on the command line.
    Cli.Result cli = shared.cli().run("prompts", "inspect", v.getId(), "--k", "3", "--api-key", shared.adminKey());
    assertEquals(0, cli.exitCode(), cli.output());
    assertTrue(cli.output().contains("mean top-1 cosine: prompt 1.000, random "), cli.output());
    assertTrue(cli.output().lines().anyMatch(l -> l.startsWith("0 ") && l.contains("*")), "row 0 is marked:\n"
        + cli.output());

    Chromium.assumeAvailable();
    String gateway = "http://127.0.0.1:" + shared.httpPort(8080);
    try (Chromium browser = new Chromium()) {
      try {
        browser.navigate(gateway + "/console/");
        browser.waitForJs("document.getElementById('login-key') && !document.getElementById('login-view').hidden",
            Duration.ofSeconds(20), "the login form");
        browser.eval("document.getElementById('login-key').value = " + JSON.writeValueAsString(shared.adminKey())
            + "; document.getElementById('login-button').click(); true");
        browser.waitForJs("!document.getElementById('nav').hidden", Duration.ofSeconds(20), "logging in");

        // From the prompt page's version row to the view.
        browser.navigate(gateway + "/console/#/prompts/e2e-nearest-tokens");
        browser.waitForJs("document.querySelector('[data-testid=inspect-" + v.getNumber() + "]')",
            Duration.ofSeconds(30), "the nearest-tokens link of the version");
        browser.eval("document.querySelector('[data-testid=inspect-" + v.getNumber() + "]').click(); true");
        browser.waitForJs("document.getElementById('inspect-table') && +document.getElementById('inspect-table')"
            + ".dataset.rows === " + n, Duration.ofSeconds(30), "the nearest-token table");

        JsonNode seen = browser.eval("JSON.stringify([...document.querySelectorAll('[data-testid=inspect-row]')]"
            + ".map(tr => ({first: +tr.querySelector('[data-testid=inspect-token]').dataset.tokenId, "
            + "cos: +tr.querySelector('[data-testid=inspect-token]').dataset.cosine, "
            + "chips: tr.querySelectorAll('[data-testid=inspect-token]').length, "
            + "match: tr.querySelector('[data-testid=label-mark]').dataset.match, "
            + "labelled: !!tr.querySelector('[data-testid=inspect-token][data-label]'), "
            + "baseNorm: +tr.querySelector('[data-testid=baseline-cell]').dataset.norm, "
            + "baseChips: tr.querySelectorAll('[data-testid=baseline-token]').length, "
            + "baseCos: +tr.querySelector('[data-testid=baseline-token]').dataset.cosine})))");
        JsonNode table = JSON.readTree(seen.asText());
        assertEquals(n, table.size(), table.toString());
        for (int r = 0; r < n; r++) {
          JsonNode row = table.get(r);
          assertEquals((int) ids.get(r), row.get("first").asInt(), "row " + r + ": " + row);
          assertEquals(1.0, row.get("cos").asDouble(), 1e-4, "row " + r + ": " + row);
          assertEquals(5, row.get("chips").asInt(), "k defaults to 5: " + row);
          // Row 0 is the label's own embedding; another row is marked only when a label token happens to be among
          // its neighbours, and then one of its chips says so.
          assertEquals(r == 0 || row.get("labelled").asBoolean() ? "true" : "false", row.get("match").asText(),
              "row " + r + " label mark: " + row);
          assertEquals(norms[r], row.get("baseNorm").asDouble(), 1e-4 * norms[r], "row " + r + " baseline norm");
          assertEquals(5, row.get("baseChips").asInt(), row.toString());
          assertTrue(row.get("baseCos").asDouble() < 0.9, "a random row is no token's embedding: " + row);
        }
        assertEquals("1.000", browser.eval("document.getElementById('inspect-mean-top1').textContent").asText());
        double baseline = Double.parseDouble(browser.eval(
            "document.getElementById('inspect-baseline-mean-top1').textContent").asText());
        assertTrue(baseline < 0.9, "baseline mean top-1 cosine " + baseline);

        // k from the form.
        browser.eval("document.getElementById('inspect-k').value = '2'; "
            + "document.getElementById('inspect-apply').click(); true");
        browser.waitForJs("document.querySelector('[data-testid=inspect-row]') && document.querySelector("
            + "'[data-testid=inspect-row]').querySelectorAll('[data-testid=inspect-token]').length === 2",
            Duration.ofSeconds(30), "two tokens per row after k = 2");
        browser.screenshot(Path.of("target/console-nearest-tokens.png"));
      } catch (AssertionError | RuntimeException e) {
        browser.screenshot(Path.of("target/console-nearest-tokens-failure.png"));
        throw e;
      }
    }
  }
}
