package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity.Role;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The least role a REST method needs. Methods without it need {@link Role#VIEWER} (any valid key); methods marked
 * {@link Public} need no key.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresRole {
  Role value();
}
