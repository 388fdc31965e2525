package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity.Role;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The least role a REST method needs, on the method or its class (the method's wins). A resource method with neither
 * this nor {@link Public} is refused for everybody (default deny), and the route-table test fails on it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresRole {
  Role value();
}
