package io.promptune.registry.domain;

import io.promptune.api.v1.CombinationRule;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * The members and combination rule of an ensemble version. Members are single-prompt versions of one base model, in
 * creation order; their {@code tensor} is null unless asked for.
 */
public record Ensemble(CombinationRule rule, List<Member> members) {

  public Ensemble {
    members = List.copyOf(members);
  }

  public record Member(UUID versionId, String promptName, int number, int length, int dModel, String sha256,
      byte[] tensor) {

    public static Member of(Version v) {
      return new Member(v.id(), v.promptName(), v.number(), v.length(), v.dModel(), v.sha256(), v.tensor());
    }
  }

  public Ensemble withMembers(List<Member> list) {
    return new Ensemble(rule, list);
  }

  /**
   * The ensemble's content digest (its sha256 column): sha256 hex of "promptune-ensemble-v1\n", the rule's name and
   * "\n", then each member's tensor sha256 and "\n", in order.
   */
  public static String digest(CombinationRule rule, List<String> memberSha256s) {
    StringBuilder text = new StringBuilder("promptune-ensemble-v1\n").append(rule.name()).append('\n');
    memberSha256s.forEach(s -> text.append(s).append('\n'));
    return PromptTensor.sha256Hex(text.toString().getBytes(StandardCharsets.UTF_8));
  }
}
