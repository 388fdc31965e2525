package io.promptune.common.auth;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;

/**
 * Who authenticated on a connection or call: a person's or team's key with a role, or one of Promptune's own
 * processes (a {@code service} principal). Only a service principal may act for somebody else (forwarded identity);
 * acting as itself it has every right, since it could forward an admin's identity anyway.
 */
public record Principal(String name, Role role, boolean service) {

  /** The key-store word for a service principal, in the role column of a key entry. */
  public static final String SERVICE = "service";

  public static Principal user(String name, Role role) {
    return new Principal(name, role, false);
  }

  public static Principal service(String name) {
    return new Principal(name, Role.ADMIN, true);
  }

  /** Parses a role column: viewer, trainer, operator, admin or service. */
  public static Principal parse(String name, String roleWord) {
    String w = roleWord.trim();
    return w.equalsIgnoreCase(SERVICE) ? service(name) : user(name, Role.parse(w));
  }

  /** The identity this principal has when it acts for itself. */
  public CallerIdentity identity() {
    return new CallerIdentity(name, role);
  }

  /** "service" or the role's lower-case name, for messages and metrics. */
  public String kind() {
    return service ? SERVICE : role.name().toLowerCase(java.util.Locale.ROOT);
  }
}
