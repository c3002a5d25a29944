package org.idlegrid.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HashesTest {
  static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  // FIPS 180-2 two-block message
  static final String TWO_BLOCK = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

  @Test
  void sha256MatchesKnownVectors() {
    assertEquals(EMPTY, Hashes.sha256Hex(new byte[0]));
    assertEquals(ABC, Hashes.sha256Hex("abc".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(TWO_BLOCK, Hashes.sha256Hex(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void streamHashEqualsArrayHashEvenWithShortReads() throws IOException {
    byte[] big = new byte[200_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    // a stream that hands out at most 7 bytes at a time
    InputStream trickle = new FilterInputStream(new ByteArrayInputStream(big)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 7));
      }
    };
    assertEquals(Hashes.sha256Hex(big), Hashes.sha256Hex(trickle));
    assertEquals(EMPTY, Hashes.sha256Hex(new ByteArrayInputStream(new byte[0])));
  }

  @Test
  void contentIdIsPrefixedLowerCaseHex() {
    assertEquals("sha256:" + ABC, Hashes.contentId("abc".getBytes(StandardCharsets.US_ASCII)));
    assertTrue(Hashes.isContentId("sha256:" + ABC));
    assertTrue(Hashes.isContentId(ABC));
    assertEquals(ABC, Hashes.hexOf("sha256:" + ABC));
    assertEquals(ABC, Hashes.hexOf(ABC));
  }

  @Test
  void malformedContentIdsAreRejected() {
    String[] bad = {
      null, "", "sha256:", "sha256:" + ABC.substring(1), "sha256:" + ABC + "0", "SHA256:" + ABC,
      "sha256:" + ABC.toUpperCase(), "sha1:" + ABC, "sha256:" + ABC.replace('a', 'g'), " sha256:" + ABC,
      "sha256:" + ABC + "\n", "sha256:sha256:" + ABC, "../../etc/passwd"
    };
    for (String id : bad) {
      assertFalse(Hashes.isContentId(id), "accepted " + id);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hashes.hexOf(id));
      assertTrue(e.getMessage().contains("sha256"), e.getMessage());
    }
  }
}
