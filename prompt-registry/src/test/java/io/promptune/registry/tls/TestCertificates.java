package io.promptune.registry.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates made for one test run with the JDK's keytool (self-signed, EC P-256, two days): a server certificate
 * for localhost, client certificates with chosen subjects, and PKCS#12 trust stores for each side.
 */
final class TestCertificates {

  static final String PASSWORD = "changeit";

  final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** Server "localhost"; clients "trainer" (CN=trainer,O=Promptune) and "stranger" (CN=stranger,O=Elsewhere). */
  static TestCertificates create() {
    // Quarkus loads a test class in more than one class loader (the profile's config is read in another): the
    // certificates are made once per JVM, in a directory all of them find through a system property.
    String shared = System.getProperty("promptune.test.mtls-dir");
    if (shared != null) {
      return new TestCertificates(java.nio.file.Path.of(shared));
    }
    try {
      TestCertificates c = new TestCertificates(Files.createTempDirectory("promptune-mtls"));
      System.setProperty("promptune.test.mtls-dir", c.dir.toString());
      c.keyPair("server", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
      c.keyPair("trainer", "CN=trainer,O=Promptune", null);
      c.keyPair("stranger", "CN=stranger,O=Elsewhere", null);
      c.trust("server-trust", "trainer", "stranger");
      c.trust("client-trust", "server");
      return c;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  Path keyStore(String name) {
    return dir.resolve(name + ".p12");
  }

  private void keyPair(String name, String subject, String san) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(keytool(), "-genkeypair", "-alias", name, "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", subject, "-validity", "2", "-keystore", keyStore(name).toString(),
        "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD));
    if (san != null) {
      cmd.addAll(List.of("-ext", san));
    }
    run(cmd);
    run(List.of(keytool(), "-exportcert", "-rfc", "-alias", name, "-keystore", keyStore(name).toString(),
        "-storepass", PASSWORD, "-file", dir.resolve(name + ".crt").toString()));
  }

  private void trust(String store, String... certs) throws IOException {
    for (String c : certs) {
      run(List.of(keytool(), "-importcert", "-noprompt", "-alias", c, "-file", dir.resolve(c + ".crt").toString(),
          "-keystore", keyStore(store).toString(), "-storetype", "PKCS12", "-storepass", PASSWORD));
    }
  }

  private static String keytool() {
    return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
  }

  private static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    try {
      if (p.waitFor() != 0) {
        throw new IOException("keytool failed: " + String.join(" ", cmd) + "\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
