package io.promptune.registry.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.testing.TestKeys;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The registry's gRPC port over TLS with optional client certificates: a certificate whose subject is in the mapping
 * table is that principal (no key needed); a client without a certificate, or with a trusted but unmapped one, is
 * refused unless it presents a key.
 */
@QuarkusTest
@TestProfile(MutualTlsTest.Profile.class)
class MutualTlsTest {

  static final TestCertificates CERTS = TestCertificates.create();

  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "quarkus.grpc.server.ssl.key-store", CERTS.keyStore("server").toString(),
          "quarkus.grpc.server.ssl.key-store-password", TestCertificates.PASSWORD,
          "quarkus.grpc.server.ssl.trust-store", CERTS.keyStore("server-trust").toString(),
          "quarkus.grpc.server.ssl.trust-store-password", TestCertificates.PASSWORD,
          // REQUEST: a certificate is optional, so key-based callers can use TLS too.
          "quarkus.grpc.server.ssl.client-auth", "REQUEST",
          "quarkus.grpc.server.plain-text", "false",
          "promptune.auth.certificate-principals.svc-trainer.subject", "CN=trainer, O=Promptune",
          "promptune.auth.certificate-principals.svc-trainer.role", "service");
    }
  }

  private static ManagedChannel channel(String clientKeyStore) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load("client-trust"));
    TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder().trustManager(tmf.getTrustManagers());
    if (clientKeyStore != null) {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(clientKeyStore), TestCertificates.PASSWORD.toCharArray());
      creds.keyManager(kmf.getKeyManagers());
    }
    int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    ChannelCredentials c = creds.build();
    return Grpc.newChannelBuilderForAddress("localhost", port, c).build();
  }

  private static KeyStore load(String name) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(CERTS.keyStore(name))) {
      ks.load(in, TestCertificates.PASSWORD.toCharArray());
    }
    return ks;
  }

  private static PromptRegistryGrpc.PromptRegistryBlockingStub stub(ManagedChannel ch) {
    return PromptRegistryGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void aMappedClientCertificateIsItsPrincipal() throws Exception {
    ManagedChannel ch = channel("trainer");
    try {
      String name = "mtls-" + UUID.randomUUID().toString().substring(0, 8);
      assertEquals("svc-trainer", stub(ch).createPrompt(CreatePromptRequest.newBuilder().setName(name)
          .setTask("t").build()).getOwner());
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void withoutACertificateOrWithAnUnmappedOneOnlyAKeyGetsIn() throws Exception {
    for (String client : new String[] {null, "stranger"}) {
      ManagedChannel ch = channel(client);
      try {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> stub(ch).listPrompts(ListPromptsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), String.valueOf(client));
        assertEquals(Optional.of(ErrorReason.UNAUTHENTICATED), ApiErrors.reasonOf(e));
        // The same connection with a key is served: TLS and keys combine.
        stub(ch).withInterceptors(TestKeys.bearer(TestKeys.VIEWER)).listPrompts(ListPromptsRequest.getDefaultInstance());
      } finally {
        ch.shutdownNow();
      }
    }
  }
}
