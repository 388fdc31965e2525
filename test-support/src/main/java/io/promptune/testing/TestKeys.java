package io.promptune.testing;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.promptune.api.CallerIdentity;

/**
 * The API keys the services' test profiles accept ({@code %test.promptune.auth.keys} in each
 * application.properties lists their sha256): one per role, "test-&lt;role&gt;-key", and a service principal.
 */
public final class TestKeys {

  public static final String VIEWER = "test-viewer-key";
  public static final String TRAINER = "test-trainer-key";
  public static final String OPERATOR = "test-operator-key";
  public static final String ADMIN = "test-admin-key";
  /** A {@code service} principal: may forward an end user's identity. */
  public static final String SERVICE = "test-service-key";

  private TestKeys() {}

  /** The key of the user principal with this role. */
  public static String forRole(CallerIdentity.Role role) {
    return switch (role) {
      case VIEWER -> VIEWER;
      case TRAINER -> TRAINER;
      case OPERATOR -> OPERATOR;
      case ADMIN -> ADMIN;
    };
  }

  /** Sends {@code key} as a bearer credential. */
  public static ClientInterceptor bearer(String key) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }

  /** Authenticates as the test service principal and forwards {@code who}, as the gateway or trainer would. */
  public static ClientInterceptor serviceActingFor(CallerIdentity who) {
    Metadata m = who.toMetadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + SERVICE);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }
}
