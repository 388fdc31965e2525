package io.promptune.common.auth;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the authentication parts from {@link AuthConfig}; one of each per process. */
public class AuthBeans {

  @Produces
  @Singleton
  Authenticator authenticator(AuthConfig config) {
    List<Path> files = config.keyFiles().orElse(List.of()).stream().filter(s -> !s.isBlank()).map(Path::of).toList();
    KeyStore keys = new KeyStore(config.keys().orElse(List.of()), files);
    Map<String, Principal> subjects = new HashMap<>();
    config.certificatePrincipals().forEach((name, c) -> {
      try {
        subjects.put(Authenticator.canonicalSubject(c.subject()), Principal.parse(name, c.role()));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("promptune.auth.certificate-principals." + name + ": " + e.getMessage());
      }
    });
    return new Authenticator(keys, subjects);
  }

  @Produces
  @Singleton
  ServiceKey serviceKey(AuthConfig config) {
    return config.serviceKeyFile().filter(s -> !s.isBlank()).map(s -> new ServiceKey(Path.of(s)))
        .orElseGet(() -> config.serviceKey().filter(s -> !s.isBlank()).map(ServiceKey::of).orElse(ServiceKey.none()));
  }
}
