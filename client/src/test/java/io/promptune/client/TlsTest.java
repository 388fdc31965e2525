package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromptRegistryGrpc;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tls(ca) and mtls(cert, key) against a server that requires a client certificate. Certificates are made for the
 * run with the JDK's keytool (self-signed EC P-256); the client key is written as PKCS#8 PEM from the key store.
 */
class TlsTest {

  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;

  private static Server server;

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool " + List.of(args) + " failed: " + out);
    }
  }

  private static void keyPair(String name, String subject, String san) throws Exception {
    List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname",
        "secp256r1", "-dname", subject, "-validity", "2", "-keystore", dir.resolve(name + ".p12").toString(),
        "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"));
    if (san != null) {
      args.addAll(List.of("-ext", san));
    }
    keytool(args.toArray(String[]::new));
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", dir.resolve(name + ".p12").toString(),
        "-storepass", "changeit", "-file", dir.resolve(name + ".crt").toString());
  }

  private static KeyStore load(String name) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  @BeforeAll
  static void start() throws Exception {
    keyPair("server", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
    keyPair("client", "CN=client,O=Elsewhere", null);
    PrivateKey key = (PrivateKey) load("client").getKey("client", PASSWORD);
    Files.writeString(dir.resolve("client.key"), "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n");

    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load("server"), PASSWORD);
    TlsServerCredentials credentials = (TlsServerCredentials) TlsServerCredentials.newBuilder()
        .keyManager(kmf.getKeyManagers()).trustManager(dir.resolve("client.crt").toFile())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
    PromptRegistryGrpc.PromptRegistryImplBase registry = new PromptRegistryGrpc.PromptRegistryImplBase() {
      @Override
      public void getPrompt(GetPromptRequest request, StreamObserver<Prompt> out) {
        out.onNext(Prompt.newBuilder().setName(request.getName()).build());
        out.onCompleted();
      }
    };
    server = Grpc.newServerBuilderForPort(0, credentials).addService(registry).build().start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static Prompt call(PromptuneClient.Builder b) {
    try (PromptuneClient client = b.target("localhost:" + server.getPort()).apiKey("k").retries(false).build()) {
      return client.registry().getPrompt(GetPromptRequest.newBuilder().setName("over-tls").build());
    }
  }

  @Test
  void mutualTlsWithTheRightCaAndCertificate() {
    Prompt p = call(PromptuneClient.builder().tls(dir.resolve("server.crt"))
        .mtls(dir.resolve("client.crt"), dir.resolve("client.key")));
    assertEquals("over-tls", p.getName());
  }

  @Test
  void noClientCertificateOrAnUntrustedServerFails() {
    StatusRuntimeException noCert = assertThrows(StatusRuntimeException.class,
        () -> call(PromptuneClient.builder().tls(dir.resolve("server.crt"))));
    assertEquals(Status.Code.UNAVAILABLE, noCert.getStatus().getCode());
    StatusRuntimeException untrusted = assertThrows(StatusRuntimeException.class,
        () -> call(PromptuneClient.builder().tls().mtls(dir.resolve("client.crt"), dir.resolve("client.key"))));
    assertEquals(Status.Code.UNAVAILABLE, untrusted.getStatus().getCode());
    StatusRuntimeException plaintext = assertThrows(StatusRuntimeException.class,
        () -> call(PromptuneClient.builder()));
    assertEquals(Status.Code.UNAVAILABLE, plaintext.getStatus().getCode());
  }

  @Test
  void unreadableTlsFilesAreReported() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptuneClient.builder()
        .target("localhost:1").apiKey("k").tls(dir.resolve("missing.pem")).build());
    assertTrue(e.getMessage().startsWith("cannot read the TLS files"), e.getMessage());
  }
}
