package io.promptune.gateway.inference;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.api.v1.FinishReason;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.Truncation;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.inference.InferenceJson.CandidateScore;
import io.promptune.gateway.inference.InferenceJson.GenerateRequest;
import io.promptune.gateway.inference.InferenceJson.GenerateResponse;
import io.promptune.gateway.inference.InferenceJson.Generation;
import io.promptune.gateway.inference.InferenceJson.Input;
import io.promptune.gateway.inference.InferenceJson.MemberScore;
import io.promptune.gateway.inference.InferenceJson.ScoreRequest;
import io.promptune.gateway.inference.InferenceJson.ScoreResponse;
import io.promptune.gateway.inference.InferenceJson.ScoreResult;
import io.promptune.gateway.json.Protos;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Inference with registry prompts: generate text, or score candidate targets (rank classification). */
@RequiresRole(Role.VIEWER)
@Path("/v1")
@Blocking
@Tag(name = "inference")
public class InferenceResource {

  @Inject
  Backends backends;

  @Inject
  GatewayConfig config;

  private List<Input> inputs(List<Input> inputs) {
    if (inputs == null || inputs.isEmpty()) {
      throw ApiError.invalidField("inputs", "Field 'inputs' needs at least one input (a string, or {\"text\": ..., "
          + "\"prompt\": ...}).");
    }
    int max = config.limits().maxInferenceInputs();
    if (inputs.size() > max) {
      throw new ApiError(413, "REQUEST_TOO_LARGE", inputs.size() + " inputs in one request; at most " + max
          + " (promptune.gateway.limits.max-inference-inputs). Split the request.", Map.of("limit", max));
    }
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i) == null || inputs.get(i).text() == null) {
        throw ApiError.invalidField("inputs[" + i + "].text", "Input " + i + " has no text.");
      }
    }
    return inputs;
  }

  @POST
  @Path("generate")
  @Operation(operationId = "generate",
      summary = "Generate text with one or more prompts", description = "Each input uses its own 'prompt' "
      + "or the request's; a bare name means name@" + "prod (promptune.gateway.default-environment).")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "429", ref = "TooManyRequests")
  public GenerateResponse generate(GenerateRequest body) {
    if (body == null) {
      throw ApiError.badRequest("The body must be {\"prompt\": \"name@prod\", \"inputs\": [\"...\"]}.");
    }
    List<Input> in = inputs(body.inputs());
    PromptRefs refs = new PromptRefs(config.defaultEnvironment());
    var req = io.promptune.api.v1.GenerateRequest.newBuilder()
        .setMaxNewTokens(nonNegative(body.maxNewTokens(), "max_new_tokens"))
        .setNumBeams(nonNegative(body.numBeams(), "num_beams"))
        .setLengthPenalty(body.lengthPenalty() == null ? 0f : body.lengthPenalty())
        .setTruncation(Protos.parse(Truncation.class, body.truncation(), "truncation", Truncation.REJECT));
    List<Integer> promptOf = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      Input x = in.get(i);
      int p = refs.add(x.prompt() != null ? x.prompt() : body.prompt(), i);
      promptOf.add(p);
      req.addInputs(GenerateInput.newBuilder().setInput(Text.newBuilder().setText(x.text())).setPromptIndex(p));
    }
    req.addAllPrompts(refs.protos());
    var r = backends.inference(s -> s.generate(req.build()));
    List<Generation> out = new ArrayList<>();
    for (int i = 0; i < r.getGenerationsCount(); i++) {
      out.add(generation(refs.refOf(promptOf.get(i)), r.getGenerations(i)));
    }
    return new GenerateResponse(out);
  }

  @POST
  @Path("score")
  @Operation(operationId = "score",
      summary = "Score candidate targets per input (rank classification)", description = "Each input uses "
      + "its own 'prompt' and 'candidates' or the request's. The best candidate has the highest sum of "
      + "log-probabilities.")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "429", ref = "TooManyRequests")
  public ScoreResponse score(ScoreRequest body) {
    if (body == null) {
      throw ApiError.badRequest("The body must be {\"prompt\": \"name@prod\", \"candidates\": [\"positive\", "
          + "\"negative\"], \"inputs\": [\"...\"]}.");
    }
    List<Input> in = inputs(body.inputs());
    PromptRefs refs = new PromptRefs(config.defaultEnvironment());
    var req = io.promptune.api.v1.ScoreRequest.newBuilder()
        .setTruncation(Protos.parse(Truncation.class, body.truncation(), "truncation", Truncation.REJECT));
    List<Integer> promptOf = new ArrayList<>();
    List<List<String>> candidatesOf = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      Input x = in.get(i);
      List<String> cands = x.candidates() != null ? x.candidates() : body.candidates();
      if (cands == null || cands.isEmpty()) {
        throw ApiError.invalidField("inputs[" + i + "].candidates", "Input " + i + " has no candidates: give "
            + "'candidates' in the request or in the input.");
      }
      if (cands.size() > config.limits().maxCandidates()) {
        throw new ApiError(413, "REQUEST_TOO_LARGE", "Input " + i + " has " + cands.size() + " candidates; at most "
            + config.limits().maxCandidates() + ".", Map.of("limit", config.limits().maxCandidates()));
      }
      int p = refs.add(x.prompt() != null ? x.prompt() : body.prompt(), i);
      promptOf.add(p);
      candidatesOf.add(cands);
      ScoreExample.Builder e = ScoreExample.newBuilder().setInput(Text.newBuilder().setText(x.text()))
          .setPromptIndex(p);
      cands.forEach(c -> e.addCandidates(Text.newBuilder().setText(c == null ? "" : c)));
      req.addExamples(e);
    }
    req.addAllPrompts(refs.protos());
    var r = backends.inference(s -> s.score(req.build()));
    List<ScoreResult> out = new ArrayList<>();
    for (int i = 0; i < r.getExamplesCount(); i++) {
      var ex = r.getExamples(i);
      List<String> cands = candidatesOf.get(i);
      int best = ex.getBestIndex();
      List<MemberScore> members = null;
      if (ex.getMembersCount() > 0) {
        members = ex.getMembersList().stream().map(m -> new MemberScore(at(cands, m.getBestIndex()),
            m.getBestIndex(), candidateScores(cands, m.getCandidatesList()))).toList();
      }
      out.add(new ScoreResult(refs.refOf(promptOf.get(i)), at(cands, best), best,
          candidateScores(cands, ex.getCandidatesList()), members == null ? null : Protos.name(ex.getRule()),
          members == null ? null : List.copyOf(ex.getVotesList()), members));
    }
    return new ScoreResponse(out);
  }

  /** A generation as JSON; an ensemble's carries its members' (which have no prompt of their own). */
  private static Generation generation(String prompt, io.promptune.api.v1.Generation g) {
    boolean ensemble = g.getMembersCount() > 0;
    return new Generation(prompt, g.getText(), g.getTokenIdsList(), g.getSumLogProb(),
        g.getFinishReason() == FinishReason.FINISH_REASON_UNSPECIFIED ? null : Protos.name(g.getFinishReason()),
        ensemble ? Protos.name(g.getRule()) : null, ensemble ? g.getVotes() : null,
        ensemble ? g.getMembersList().stream().map(m -> generation(null, m)).toList() : null);
  }

  private static List<CandidateScore> candidateScores(List<String> cands,
      List<io.promptune.api.v1.CandidateScore> scores) {
    List<CandidateScore> out = new ArrayList<>();
    for (int c = 0; c < scores.size(); c++) {
      var s = scores.get(c);
      out.add(new CandidateScore(at(cands, c), s.getSumLogProb(), s.getNumTokens(), s.getMeanLogProb()));
    }
    return out;
  }

  private static String at(List<String> cands, int index) {
    return index >= 0 && index < cands.size() ? cands.get(index) : null;
  }

  private static int nonNegative(Integer v, String field) {
    if (v != null && v < 0) {
      throw ApiError.invalidField(field, "Field '" + field + "' must be >= 0.");
    }
    return v == null ? 0 : v;
  }
}
