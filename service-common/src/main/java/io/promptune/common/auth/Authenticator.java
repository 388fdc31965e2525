package io.promptune.common.auth;

import io.grpc.Metadata;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Decides who a caller is, transport-free: a verified client certificate whose subject is in the mapping table,
 * else a bearer key from the key store. Then, only for a {@code service} principal, the identity it forwards.
 */
public final class Authenticator {

  /** Why a call has no principal; also the label of the authentication-failure metric. */
  public enum Failure {
    MISSING_CREDENTIAL, UNKNOWN_KEY, MALFORMED_HEADER
  }

  /** Either a principal or a failure, with a message a person can act on. */
  public record Result(Principal principal, Failure failure, String message) {
    public boolean ok() {
      return principal != null;
    }
  }

  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final KeyStore keys;
  private final Map<String, Principal> bySubject;

  /** {@code certificateSubjects}: RFC 2253 subject → principal. */
  public Authenticator(KeyStore keys, Map<String, Principal> certificateSubjects) {
    this.keys = keys;
    this.bySubject = Map.copyOf(certificateSubjects);
  }

  public KeyStore keys() {
    return keys;
  }

  /** Authenticates a gRPC call from its headers and, over TLS, its session. */
  public Result authenticate(Metadata headers, SSLSession tls) {
    Optional<Principal> byCert = certificatePrincipal(tls);
    if (byCert.isPresent()) {
      return new Result(byCert.get(), null, null);
    }
    return authenticateBearer(headers.get(AUTHORIZATION));
  }

  /** Authenticates an {@code Authorization} header value ("Bearer <key>"), also for HTTP. */
  public Result authenticateBearer(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      return new Result(null, Failure.MISSING_CREDENTIAL, keys.isEmpty()
          ? "No API keys are configured on this service, so every call is refused. Create one (promptune keys "
              + "create) and send it as 'authorization: Bearer <key>'."
          : "Missing credential: send 'authorization: Bearer <key>' (or a client certificate over mutual TLS).");
    }
    String a = authorization.strip();
    if (a.length() <= 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return new Result(null, Failure.MALFORMED_HEADER, "The authorization header must be 'Bearer <key>'.");
    }
    return keys.authenticate(a.substring(7).strip()).map(p -> new Result(p, null, null))
        .orElseGet(() -> new Result(null, Failure.UNKNOWN_KEY,
            "Unknown API key: check the key you sent, or ask the deployer for one."));
  }

  private Optional<Principal> certificatePrincipal(SSLSession tls) {
    if (tls == null || bySubject.isEmpty()) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = tls.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
        String subject = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
        return Optional.ofNullable(bySubject.get(subject));
      }
    } catch (SSLPeerUnverifiedException noClientCertificate) {
      // TLS without a client certificate: fall back to the bearer key
    }
    return Optional.empty();
  }

  /** Normalises a configured subject to the RFC 2253 form the TLS session reports. */
  public static String canonicalSubject(String subject) {
    return new X500Principal(subject).getName(X500Principal.RFC2253);
  }

  /**
   * Who the call is for: the identity a service principal forwards (metadata promptune-actor / promptune-role), or
   * the principal itself. Anybody else's forwarded headers are ignored.
   */
  public static CallerIdentity effectiveCaller(Principal principal, Metadata headers) {
    if (!principal.service()) {
      return principal.identity();
    }
    String actor = headers.get(CallerIdentity.ACTOR_KEY);
    if (actor == null || actor.isBlank()) {
      return principal.identity();
    }
    String roleWord = headers.get(CallerIdentity.ROLE_KEY);
    Role role;
    try {
      role = roleWord == null ? Role.VIEWER : Role.parse(roleWord);
    } catch (IllegalArgumentException e) {
      role = Role.VIEWER;
    }
    return new CallerIdentity(actor.strip(), role);
  }
}
