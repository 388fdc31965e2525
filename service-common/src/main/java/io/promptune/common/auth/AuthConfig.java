package io.promptune.common.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Authentication settings every service shares ({@code promptune.auth.*}, env {@code PROMPTUNE_AUTH_*}). */
@ConfigMapping(prefix = "promptune.auth")
public interface AuthConfig {

  /** Inline key entries {@code name:role:sha256hex} (roles viewer, trainer, operator, admin, service). */
  Optional<List<String>> keys();

  /** Key files of such lines, reread when they change (locally PROMPTUNE_HOME/keys/api-keys; in Kubernetes a Secret). */
  Optional<List<String>> keyFiles();

  /**
   * This process's own key (a {@code service} principal), sent on every call it makes to another Promptune service.
   * The launcher writes one per service at {@code up}.
   */
  Optional<String> serviceKeyFile();

  /** This process's own key given directly (env PROMPTUNE_AUTH_SERVICE_KEY); the file wins when both are set. */
  Optional<String> serviceKey();

  /** Whether gRPC server reflection answers without a credential (grpcurl list/describe). Health always does. */
  @WithDefault("true")
  boolean reflectionOpen();

  /**
   * Mutual TLS: client-certificate subjects that are principals, by principal name. A call over TLS whose verified
   * client certificate has one of these subjects (RFC 2253 form, e.g. {@code CN=trainer,O=Promptune}) is that
   * principal without a key.
   */
  Map<String, CertificatePrincipal> certificatePrincipals();

  interface CertificatePrincipal {
    /** The certificate's subject distinguished name. */
    String subject();

    /** viewer, trainer, operator, admin or service. */
    String role();
  }
}
