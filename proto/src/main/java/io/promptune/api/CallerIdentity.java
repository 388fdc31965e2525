package io.promptune.api;

import io.grpc.Metadata;

/**
 * Who is calling, as gRPC metadata. The gateway authenticates API keys and forwards the caller's name and
 * role in these headers; services trust them (they are reachable only from inside the deployment) and record
 * the actor in audit logs. A call without them is the internal actor "system" with the admin role.
 */
public record CallerIdentity(String actor, Role role) {

  public static final Metadata.Key<String> ACTOR_KEY =
      Metadata.Key.of("promptune-actor", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> ROLE_KEY =
      Metadata.Key.of("promptune-role", Metadata.ASCII_STRING_MARSHALLER);

  public static final CallerIdentity SYSTEM = new CallerIdentity("system", Role.ADMIN);

  /** Roles in increasing power: each includes the ones before it. */
  public enum Role {
    VIEWER, TRAINER, OPERATOR, ADMIN;

    public boolean atLeast(Role other) {
      return ordinal() >= other.ordinal();
    }

    /** Parses "viewer", "trainer", "operator", "admin" (any case). */
    public static Role parse(String s) {
      return Role.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** Reads the identity from request headers; missing headers mean {@link #SYSTEM}. */
  public static CallerIdentity from(Metadata headers) {
    String actor = headers.get(ACTOR_KEY);
    String role = headers.get(ROLE_KEY);
    if (actor == null && role == null) {
      return SYSTEM;
    }
    Role r;
    try {
      r = role == null ? Role.VIEWER : Role.parse(role);
    } catch (IllegalArgumentException e) {
      r = Role.VIEWER;
    }
    return new CallerIdentity(actor == null || actor.isBlank() ? "anonymous" : actor, r);
  }

  /** Headers carrying this identity, for clients. */
  public Metadata toMetadata() {
    Metadata m = new Metadata();
    m.put(ACTOR_KEY, actor);
    m.put(ROLE_KEY, role.name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }
}
