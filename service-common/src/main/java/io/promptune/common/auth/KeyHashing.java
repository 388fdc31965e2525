package io.promptune.common.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** API keys: how new ones are made and the sha256 form, the only one in which keys are stored or compared. */
public final class KeyHashing {

  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyHashing() {}

  public static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /** A new random key: 32 bytes, URL-safe base64, prefixed "pt_" so a leak scanner can recognise it. */
  public static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "pt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
