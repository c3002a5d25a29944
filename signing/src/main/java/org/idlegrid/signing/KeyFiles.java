package org.idlegrid.signing;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Ed25519 keys on disk as PEM: the private key as PKCS#8 ({@code PRIVATE KEY}, what
 * {@code openssl genpkey -algorithm ed25519} writes, readable by OpenSSL), the public key as
 * SubjectPublicKeyInfo ({@code PUBLIC KEY}). A private key file is created with mode 600 where
 * the file system has POSIX permissions, written and flushed to disk as a temporary file and
 * then hard-linked into place, so a crash never leaves half a key and two processes racing to
 * create the same key file never overwrite each other (the link fails if the name exists).
 */
public final class KeyFiles {
  private static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private KeyFiles() {}

  /** Loads the private key at {@code file}, or generates one and saves it there (mode 600). */
  public static Ed25519.KeyPair loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return load(file);
    }
    Ed25519.KeyPair pair = Ed25519.generate();
    try {
      savePrivate(file, pair.privateKey());
    } catch (FileAlreadyExistsException e) {
      return load(file); // another process won the race: use its key
    }
    return pair;
  }

  public static Ed25519.KeyPair load(Path file) throws IOException {
    Ed25519.PrivateKey key = readPrivate(Files.readString(file, StandardCharsets.US_ASCII));
    return new Ed25519.KeyPair(key, key.publicKey());
  }

  /** Writes {@code key} as a PKCS#8 PEM file readable by its owner only; never overwrites. */
  public static void savePrivate(Path file, Ed25519.PrivateKey key) throws IOException {
    writeSecret(file, privatePem(key));
  }

  /**
   * The PKCS#8 v1 PEM of {@code key} (RFC 8410 section 7: the 32-byte seed only, 48 bytes of
   * DER, exactly what {@code openssl genpkey -algorithm ed25519} writes). Bouncy Castle's
   * {@code PrivateKeyInfoFactory} writes v2 with the public key appended, which OpenSSL 3.0
   * cannot read; files in either form load.
   */
  static String privatePem(Ed25519.PrivateKey key) throws IOException {
    PrivateKeyInfo info = new PrivateKeyInfo(new AlgorithmIdentifier(ID_ED25519), new DEROctetString(key.raw()));
    return pem("PRIVATE KEY", info.getEncoded());
  }

  public static void savePublic(Path file, Ed25519.PublicKey key) throws IOException {
    Files.writeString(file, publicPem(key), StandardCharsets.US_ASCII);
  }

  public static String publicPem(Ed25519.PublicKey key) throws IOException {
    SubjectPublicKeyInfo info =
        SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(new Ed25519PublicKeyParameters(key.raw(), 0));
    return pem("PUBLIC KEY", info.getEncoded());
  }

  public static Ed25519.PublicKey loadPublic(Path file) throws IOException {
    return readPublic(Files.readString(file, StandardCharsets.US_ASCII));
  }

  /** Reads a {@code PUBLIC KEY} PEM, or a {@code PRIVATE KEY} PEM (its public half). */
  public static Ed25519.PublicKey readPublic(String text) throws IOException {
    PemObject obj = readPem(text);
    if ("PRIVATE KEY".equals(obj.getType())) {
      return readPrivate(text).publicKey();
    }
    if (!"PUBLIC KEY".equals(obj.getType())) {
      throw new IOException("expected a PUBLIC KEY PEM, found " + obj.getType());
    }
    AsymmetricKeyParameter p;
    try {
      p = PublicKeyFactory.createKey(obj.getContent());
    } catch (RuntimeException e) {
      throw new IOException("malformed public key: " + e.getMessage(), e);
    }
    if (!(p instanceof Ed25519PublicKeyParameters ed)) {
      throw new IOException("not an Ed25519 public key");
    }
    return Ed25519.PublicKey.fromRaw(ed.getEncoded());
  }

  public static Ed25519.PrivateKey readPrivate(String text) throws IOException {
    PemObject obj = readPem(text);
    if (!"PRIVATE KEY".equals(obj.getType())) {
      throw new IOException("expected a PRIVATE KEY PEM, found " + obj.getType());
    }
    AsymmetricKeyParameter p;
    try {
      p = PrivateKeyFactory.createKey(obj.getContent());
    } catch (RuntimeException e) {
      throw new IOException("malformed private key: " + e.getMessage(), e);
    }
    if (!(p instanceof Ed25519PrivateKeyParameters ed)) {
      throw new IOException("not an Ed25519 private key");
    }
    return Ed25519.PrivateKey.fromRaw(ed.getEncoded());
  }

  /**
   * Writes {@code content} to {@code file} readable by its owner only (mode 600), atomically,
   * failing with {@link FileAlreadyExistsException} if the file exists (also when another
   * process creates it at the same moment).
   */
  public static void writeSecret(Path file, String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString());
    }
    Path tmp = Files.createTempFile(dir, ".tmp-", ".secret");
    try {
      restrict(tmp);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      publish(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Gives {@code tmp} the name {@code file} without ever replacing an existing {@code file}. */
  private static void publish(Path tmp, Path file) throws IOException {
    try {
      Files.createLink(file, tmp); // atomic, and fails if file exists
      return;
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      // no hard links here (FAT, some Android storage): fall back to a move that refuses to replace
    }
    Files.move(tmp, file);
  }

  private static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, OWNER_ONLY);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system (Windows): the user's profile folder protects it
    }
  }

  private static PemObject readPem(String text) throws IOException {
    try (PemReader reader = new PemReader(new StringReader(text))) {
      PemObject obj = reader.readPemObject();
      if (obj == null) {
        throw new IOException("no PEM object found (expected -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY-----)");
      }
      return obj;
    } catch (RuntimeException e) {
      throw new IOException("malformed PEM: " + e.getMessage(), e);
    }
  }

  private static String pem(String type, byte[] der) throws IOException {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    }
    return out.toString();
  }
}
