package io.promptune.api;

import io.grpc.Metadata;

/**
 * Who a call is for: an actor name and a role. A service learns it by authenticating the caller (service-common's
 * AuthInterceptor); a Promptune service acting for somebody else forwards it in the metadata below, which the
 * callee honours only because the caller authenticated as a {@code service} principal. Nothing trusts these headers
 * on their own.
 */
public record CallerIdentity(String actor, Role role) {

  public static final Metadata.Key<String> ACTOR_KEY =
      Metadata.Key.of("promptune-actor", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> ROLE_KEY =
      Metadata.Key.of("promptune-role", Metadata.ASCII_STRING_MARSHALLER);

  /** An internal actor with every right, for tools and tests that act for nobody in particular. */
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

  /** Headers carrying this identity, for a service forwarding it. */
  public Metadata toMetadata() {
    Metadata m = new Metadata();
    m.put(ACTOR_KEY, actor);
    m.put(ROLE_KEY, role.name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }
}
