package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.errors.ApiError;
import jakarta.enterprise.context.RequestScoped;

/** The authenticated caller of the current request, set by {@link AuthFilter}. */
@RequestScoped
public class Caller {

  private CallerIdentity identity;

  void set(CallerIdentity identity) {
    this.identity = identity;
  }

  /** The caller; the internal actor when the request needed no key. */
  public CallerIdentity identity() {
    return identity != null ? identity : new CallerIdentity("anonymous", Role.VIEWER);
  }

  public boolean authenticated() {
    return identity != null;
  }

  /** Throws 403 unless the caller has at least {@code role}; {@code action} says what needed it. */
  public void require(Role role, String action) {
    Role have = identity().role();
    if (!have.atLeast(role)) {
      throw ApiError.forbidden(action, role, identity());
    }
  }
}
