package io.promptune.registry.security;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.RegistryException;
import java.util.Locale;
import java.util.Map;

/**
 * Who may do what. Reading needs no role; creating prompts, publishing and importing need TRAINER; promoting and
 * rolling back need OPERATOR; forcing a promotion needs ADMIN. Roles include the ones below them.
 */
public final class Permissions {

  private Permissions() {}

  public static void require(CallerIdentity caller, Role role, String action) {
    if (!caller.role().atLeast(role)) {
      throw new RegistryException(ErrorReason.PERMISSION_DENIED, "'" + caller.actor() + "' has role "
          + lower(caller.role()) + "; " + action + " needs role " + lower(role) + " or higher",
          Map.of("required_role", lower(role)));
    }
  }

  private static String lower(Role role) {
    return role.name().toLowerCase(Locale.ROOT);
  }
}
