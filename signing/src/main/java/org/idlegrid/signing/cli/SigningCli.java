package org.idlegrid.signing.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.signing.KeyFiles;
import org.idlegrid.signing.ModelSignature;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code signing} command line: {@code keygen}, {@code sign} and {@code verify}.
 *
 * <p>Exit codes: 0 success; 1 a signature that does not check out or an operation that failed
 * (the message on stderr says why); 2 a usage error (picocli's default).
 */
@Command(
    name = "signing",
    mixinStandardHelpOptions = true,
    version = "idlegrid signing 0.1.0",
    description = "Ed25519 keys and model signatures for idlegrid.",
    subcommands = {SigningCli.Keygen.class, SigningCli.Sign.class, SigningCli.Verify.class,
        CommandLine.HelpCommand.class})
public final class SigningCli implements Runnable {
  /** A signature or model that does not check out. */
  public static final int INVALID = 1;

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line: errors print one line to stderr, never a stack trace. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SigningCli());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      cmd.getErr().flush();
      return 1;
    });
    return cl;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: keygen, sign or verify");
  }

  @Command(name = "keygen", description = "Generate an Ed25519 key pair (private key PEM, mode 600).")
  static final class Keygen implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "private key file to create (PKCS#8 PEM)")
    Path out;

    @Option(names = "--public", paramLabel = "FILE", description = "also write the public key (SubjectPublicKeyInfo PEM)")
    Path pub;

    @Override
    public Integer call() throws IOException {
      PrintWriter err = spec.commandLine().getErr();
      for (Path p : pub == null ? new Path[] {out} : new Path[] {out, pub}) {
        if (Files.exists(p)) {
          err.println("error: " + p + " exists; refusing to overwrite a key (remove it first)");
          return 1;
        }
      }
      Ed25519.KeyPair pair = Ed25519.generate();
      KeyFiles.savePrivate(out, pair.privateKey());
      PrintWriter o = spec.commandLine().getOut();
      o.println("private key: " + out + " (mode 600)");
      if (pub != null) {
        KeyFiles.savePublic(pub, pair.publicKey());
        o.println("public key file: " + pub);
      }
      o.println("keyId: " + pair.keyId());
      o.println("publicKey: " + pair.publicKey().base64());
      o.flush();
      return 0;
    }
  }

  @Command(name = "sign", description = "Sign a model file: writes MODEL.sig.json beside it.")
  static final class Sign implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "private key PEM")
    Path key;

    @Option(names = "--out", paramLabel = "FILE", description = "signature file (default MODEL.sig.json)")
    Path out;

    @Parameters(paramLabel = "MODEL", description = "the model file to sign")
    Path model;

    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws IOException {
      if (!Files.isRegularFile(model)) {
        spec.commandLine().getErr().println("error: model " + model + " is not a readable file");
        return 1;
      }
      Ed25519.KeyPair pair = KeyFiles.load(key);
      Path sig = out != null ? out : ModelSignature.defaultSignaturePath(model);
      ModelSignature.Signed s = ModelSignature.signToFile(model, pair.privateKey(), clock, sig);
      PrintWriter o = spec.commandLine().getOut();
      o.println("signed " + model + " (" + s.sha256() + ", " + s.bytes() + " bytes) with key " + s.keyId()
          + " -> " + sig);
      o.flush();
      return 0;
    }
  }

  @Command(name = "verify", description = "Check a model against its signature file and a trusted public key.")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--public-key", required = true, paramLabel = "FILE|BASE64",
        description = "trusted key: a PEM file, a file holding base64, or the base64 of the 32 raw bytes")
    String publicKey;

    @Option(names = "--sig", paramLabel = "FILE", description = "signature file (default MODEL.sig.json)")
    Path sig;

    @Parameters(paramLabel = "MODEL", description = "the model file to check")
    Path model;

    @Override
    public Integer call() throws IOException {
      Ed25519.PublicKey trusted = trustedKey(spec.commandLine(), publicKey);
      Path sigFile = sig != null ? sig : ModelSignature.defaultSignaturePath(model);
      try {
        ModelSignature.Signed s = ModelSignature.verify(model, sigFile, trusted);
        PrintWriter o = spec.commandLine().getOut();
        o.println("OK " + model + " " + s.sha256() + " " + s.bytes() + " bytes, signed by key " + s.keyId()
            + " at " + s.signedAt());
        o.flush();
        return 0;
      } catch (ModelSignature.InvalidSignatureException e) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("INVALID: " + e.getMessage());
        err.flush();
        return INVALID;
      }
    }
  }

  /** {@code --public-key}: a file (PEM, or base64 text) if one exists at that path, else base64. */
  static Ed25519.PublicKey trustedKey(CommandLine cl, String arg) throws IOException {
    Path file = null;
    try {
      file = Path.of(arg);
    } catch (InvalidPathException e) {
      // not a path: base64 below
    }
    if (file != null && Files.isRegularFile(file)) {
      String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (text.startsWith("-----BEGIN")) {
        return KeyFiles.readPublic(text);
      }
      try {
        return Ed25519.PublicKey.fromBase64(text);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cl,
            "--public-key: " + arg + " holds neither a PEM key nor a base64 Ed25519 public key");
      }
    }
    try {
      return Ed25519.PublicKey.fromBase64(arg.trim());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--public-key: \"" + arg
          + "\" is neither an existing key file nor the base64 of a 32-byte Ed25519 public key");
    }
  }
}
