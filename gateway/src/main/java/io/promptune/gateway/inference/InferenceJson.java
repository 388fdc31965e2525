package io.promptune.gateway.inference;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;

/** Request and response bodies of POST /v1/generate and POST /v1/score. */
public final class InferenceJson {

  private InferenceJson() {}

  /**
   * One input: a plain string, or an object that may name its own prompt (an id, name:N, name@env or a bare name =
   * name@{default environment}) and, for scoring, its own candidates.
   */
  public record Input(String text, String prompt, List<String> candidates) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Input of(String text) {
      return new Input(text, null, null);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public static Input create(@com.fasterxml.jackson.annotation.JsonProperty("text") String text,
        @com.fasterxml.jackson.annotation.JsonProperty("prompt") String prompt,
        @com.fasterxml.jackson.annotation.JsonProperty("candidates") List<String> candidates) {
      return new Input(text, prompt, candidates);
    }
  }

  /**
   * @param prompt the prompt for inputs that name none; absent everywhere: the frozen model without a prompt
   * @param maxNewTokens 0 or absent: 32
   * @param numBeams 0/1 greedy, more: beam search
   * @param truncation reject (default) or truncate
   */
  public record GenerateRequest(String prompt, List<Input> inputs, Integer maxNewTokens, Integer numBeams,
      Float lengthPenalty, String truncation) {}

  /**
   * One input's generation. For an ensemble prompt: {@code text} (with its token ids, sum_log_prob, finish reason) is
   * the combined answer, the text most members generated; {@code votes} says how many did, {@code rule} how they
   * were combined (majority_vote), and {@code members} holds each member's own generation in member order (each
   * without prompt, members, rule or votes).
   */
  public record Generation(String prompt, String text, List<Integer> tokenIds, double sumLogProb,
      String finishReason, String rule, Integer votes, List<Generation> members) {}

  public record GenerateResponse(List<Generation> generations) {}

  /** @param candidates the candidates for inputs that list none (e.g. the class labels) */
  public record ScoreRequest(String prompt, List<String> candidates, List<Input> inputs, String truncation) {}

  public record CandidateScore(String text, double sumLogProb, int numTokens, double meanLogProb) {}

  /**
   * Per input: the best candidate (highest sum of log-probabilities), and every candidate's scores. For an ensemble
   * prompt: {@code best} is the combined choice by {@code rule}, {@code candidates} holds each candidate's scores
   * averaged over the members, {@code votes} how many members ranked each candidate first (candidate order), and
   * {@code members} each member's own answer and scores in member order.
   */
  public record ScoreResult(String prompt, String best, int bestIndex, List<CandidateScore> candidates, String rule,
      List<Integer> votes, List<MemberScore> members) {}

  /** One ensemble member's answer to one input: its best candidate and every candidate's scores. */
  public record MemberScore(String best, int bestIndex, List<CandidateScore> candidates) {}

  public record ScoreResponse(List<ScoreResult> results) {}
}
