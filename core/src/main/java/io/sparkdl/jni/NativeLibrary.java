package io.sparkdl.jni;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.jar.JarEntry;

/**
 * The one loader of native code: sparkdl's environment library, the TF runtime, then sparkdl's
 * JNI library.
 *
 * <p>{@code libsparkdl_env.so} (JNI and libc only) goes first and sets TF's environment defaults
 * unless the user set them: TF reads some of them (TF_ENABLE_ONEDNN_OPTS) only while its
 * libraries initialise, so after loading TF it would be too late.
 *
 * <p>The TF runtime ({@code libtensorflow_framework.so.2}, then {@code libtensorflow_cc.so.2}) comes
 * from the directory named by the system property {@value #TF_LIBDIR_PROPERTY} or the environment
 * variable {@value #TF_LIBDIR_ENV} (an installed {@code tensorflow-cpu} wheel's {@code tensorflow/}
 * folder holds the same files), else from the {@code tensorflow-core-native} jar on the classpath,
 * extracted once per version. Our JNI library comes from {@value #LIBRARY_PROPERTY} when set
 * (its environment library from the same folder), else both come from this jar. The dynamic
 * linker then matches our library's dependencies on the TF libraries by soname, so it loads from
 * any directory.
 *
 * <p>Extracted libraries live in a private directory ({@value #CACHE_DIR_PROPERTY}, by default
 * {@code <java.io.tmpdir>/sparkdl-<user.name>}): created with mode 0700, and refused when it is a
 * symbolic link, owned by another user, or writable by group or others, since anyone who can
 * write there chooses the code this JVM runs. A file found there is loaded only when its SHA-256
 * is the expected one (for our libraries, that of the bytes in this jar; for TF's, the hash
 * recorded in a sidecar file written when it was extracted from the same jar entry); any other
 * file is replaced first.
 *
 * <p>Loading is idempotent, and safe from several class loaders: each loads its own copy of our
 * library (JNI binds natives per class loader) over the one TF runtime of the process.
 */
public final class NativeLibrary {
  public static final String TF_LIBDIR_PROPERTY = "sparkdl.tf.libdir";
  public static final String TF_LIBDIR_ENV = "SPARKDL_TF_LIBDIR";
  public static final String LIBRARY_PROPERTY = "sparkdl.native.library";
  /** The private directory extracted libraries are cached in. */
  public static final String CACHE_DIR_PROPERTY = "sparkdl.native.dir";

  static final String PLATFORM = "linux-x86_64";
  private static final String FRAMEWORK = "libtensorflow_framework.so.2";
  private static final String TF_CC = "libtensorflow_cc.so.2";
  private static final String TF_RESOURCE_DIR = "org/tensorflow/internal/c_api/" + PLATFORM + "/";
  private static final String OUR_RESOURCE_DIR = "io/sparkdl/native/" + PLATFORM + "/";
  private static final String OUR_JNI = "libsparkdl_jni.so";
  private static final String OUR_ENV = "libsparkdl_env.so";
  /** The build's versions (versions.properties, copied into the jar by the sbt build). */
  private static final Properties BUILD = buildProperties();
  private static final String TF_JAR =
      "org.tensorflow:tensorflow-core-native:"
          + BUILD.getProperty("tensorflow.java.version", "unknown")
          + ":"
          + PLATFORM;

  private static boolean loaded;
  private static String failure;

  private NativeLibrary() {}

  /** Loads the TF runtime and our library, once; throws the same error on every call if that failed. */
  public static synchronized void load() {
    if (loaded) return;
    if (failure != null) throw new UnsatisfiedLinkError(failure);
    List<String> tried = new ArrayList<>();
    try {
      checkPlatform();
      loadOurs(OUR_ENV, tried);
      setTensorFlowDefaults();
      loadTensorFlow(tried);
      loadOurs(OUR_JNI, tried);
      // TF fixes whether XLA may cluster CPU ops when it makes the first session's devices, so
      // the flag goes on before any session. Sessions that do not ask for XLA (their ConfigProto's
      // global_jit_level) are unaffected: TF's default jit level is off.
      NativeBindings.enableXlaCpuJit();
      loaded = true;
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      failure =
          "sparkdl could not load its native code: "
              + e.getMessage()
              + "\nTried, in order:\n  - "
              + String.join("\n  - ", tried)
              + "\nFix: set -D" + TF_LIBDIR_PROPERTY + "=<dir> (or " + TF_LIBDIR_ENV + ") to a folder"
              + " holding " + FRAMEWORK + " and " + TF_CC + " (e.g. site-packages/tensorflow of"
              + " tensorflow-cpu==" + tfVersion() + "), or put " + TF_JAR + " on the classpath.";
      UnsatisfiedLinkError error = new UnsatisfiedLinkError(failure);
      error.initCause(e);
      throw error;
    }
  }

  /** Whether {@link #load()} succeeded in this class loader. */
  public static synchronized boolean isLoaded() {
    return loaded;
  }

  /** TF settings sparkdl changes; each only where the process environment does not set it. */
  private static void setTensorFlowDefaults() {
    // TF's INFO lines (every SavedModel load, CPU features) would flood executor logs.
    NativeBindings.setEnvDefault("TF_CPP_MIN_LOG_LEVEL", "1");
    // TF turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI/BF16 or AMX; on
    // others (AVX2 Intel, AMD) TF's own kernels run a small CNN at about half the speed.
    NativeBindings.setEnvDefault("TF_ENABLE_ONEDNN_OPTS", "1");
  }

  private static void checkPlatform() {
    String os = System.getProperty("os.name", "").toLowerCase();
    String arch = System.getProperty("os.arch", "");
    if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw new IllegalStateException(
          "sparkdl ships native code for " + PLATFORM + " only; this JVM runs on " + os + "/" + arch);
    }
  }

  private static void loadTensorFlow(List<String> tried) throws IOException {
    String dir = System.getProperty(TF_LIBDIR_PROPERTY);
    String source = "-D" + TF_LIBDIR_PROPERTY;
    if (dir == null || dir.isEmpty()) {
      dir = System.getenv(TF_LIBDIR_ENV);
      source = TF_LIBDIR_ENV;
    }
    if (dir != null && !dir.isEmpty()) {
      Path framework = Paths.get(dir, FRAMEWORK);
      Path cc = Paths.get(dir, TF_CC);
      tried.add(source + "=" + dir);
      if (!Files.isRegularFile(framework) || !Files.isRegularFile(cc)) {
        throw new IllegalStateException(
            source + " names " + dir + ", which lacks " + FRAMEWORK + " or " + TF_CC);
      }
      loadShared(framework);
      loadShared(cc);
      return;
    }
    tried.add(source + " (not set)");
    tried.add("classpath resource " + TF_RESOURCE_DIR + TF_CC + " (from " + TF_JAR + ")");
    URL ccUrl = resource(TF_RESOURCE_DIR + TF_CC);
    URL frameworkUrl = resource(TF_RESOURCE_DIR + FRAMEWORK);
    if (ccUrl == null || frameworkUrl == null) {
      throw new IllegalStateException("the TF runtime is neither configured nor on the classpath");
    }
    Path cache = privateDirectory(privateDirectory(cacheDir()).resolve("tensorflow-" + tfVersion()));
    loadShared(extract(frameworkUrl, cache.resolve(FRAMEWORK)));
    loadShared(extract(ccUrl, cache.resolve(TF_CC)));
  }

  /** Loads one of our libraries ({@code fileName}): beside {@value #LIBRARY_PROPERTY}, else from this jar. */
  private static void loadOurs(String fileName, List<String> tried) throws IOException {
    String explicit = System.getProperty(LIBRARY_PROPERTY);
    if (explicit != null && !explicit.isEmpty()) {
      Path jni = Paths.get(explicit).toAbsolutePath();
      Path path = fileName.equals(OUR_JNI) ? jni : jni.resolveSibling(fileName);
      String sibling = path == jni ? "" : " (its sibling " + fileName + ")";
      tried.add("-D" + LIBRARY_PROPERTY + "=" + explicit + sibling);
      System.load(path.toString());
      return;
    }
    String resourceName = OUR_RESOURCE_DIR + fileName;
    tried.add("classpath resource " + resourceName);
    URL url = resource(resourceName);
    if (url == null) {
      throw new IllegalStateException(resourceName + " is not on the classpath (a jar built without jni/?)");
    }
    byte[] bytes;
    try (InputStream in = url.openStream()) {
      bytes = in.readAllBytes();
    }
    // The content hash keeps two builds of one version apart.
    String stem = fileName.substring(0, fileName.length() - ".so".length());
    String sha256 = sha256(bytes);
    Path target =
        privateDirectory(cacheDir()).resolve(stem + "-" + version() + "-" + sha256.substring(0, 16) + ".so");
    writeVerified(bytes, sha256, target);
    try {
      System.load(target.toString());
    } catch (UnsatisfiedLinkError e) {
      if (!isLoadedElsewhere(e)) throw e;
      // Another class loader holds that file; JNI needs a copy of our own.
      Path copy = target.resolveSibling(stem + "-" + UUID.randomUUID() + ".so");
      writeVerified(bytes, sha256, copy);
      copy.toFile().deleteOnExit();
      System.load(copy.toString());
    }
  }

  /** Loads a TF library; one already loaded by another class loader is fine (it is process-wide). */
  private static void loadShared(Path path) {
    try {
      System.load(path.toAbsolutePath().toString());
    } catch (UnsatisfiedLinkError e) {
      if (!isLoadedElsewhere(e)) throw e;
    }
  }

  private static boolean isLoadedElsewhere(UnsatisfiedLinkError e) {
    String message = e.getMessage();
    return message != null && message.contains("already loaded in another classloader");
  }

  private static URL resource(String name) {
    URL url = NativeLibrary.class.getClassLoader().getResource(name);
    if (url == null && Thread.currentThread().getContextClassLoader() != null) {
      url = Thread.currentThread().getContextClassLoader().getResource(name);
    }
    return url;
  }

  /**
   * Extracts a (large) resource once, to {@code target} in a private directory. A file there from
   * an earlier run is reused only when it hashes to the SHA-256 in its sidecar ({@code
   * target.sha256}, written by us after an extraction) and the sidecar names this very resource
   * (the jar entry's size and CRC-32, so the jar is not read again); otherwise it is extracted
   * again, hashing the bytes as they are copied.
   */
  static Path extract(URL url, Path target) throws IOException {
    Path sidecar = target.resolveSibling(target.getFileName() + ".sha256");
    String source = sourceId(url);
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
        && Files.isRegularFile(sidecar, LinkOption.NOFOLLOW_LINKS)) {
      String[] recorded = new String(Files.readAllBytes(sidecar), StandardCharsets.UTF_8).trim().split(" ", 2);
      if (recorded.length == 2 && recorded[1].equals(source) && recorded[0].equals(sha256(target))) {
        return target;
      }
    }
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    Path tmpSidecar = Files.createTempFile(target.getParent(), sidecar.getFileName().toString(), ".part");
    try {
      MessageDigest digest = newSha256();
      try (InputStream in = new DigestInputStream(url.openStream(), digest)) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.write(tmpSidecar, (hex(digest.digest()) + " " + source + "\n").getBytes(StandardCharsets.UTF_8));
      // The library first: a reader that sees the new sidecar with the old library re-extracts.
      move(tmp, target);
      move(tmpSidecar, sidecar);
    } finally {
      Files.deleteIfExists(tmp);
      Files.deleteIfExists(tmpSidecar);
    }
    return target;
  }

  /** What identifies a resource's bytes without reading them: a jar entry's size and CRC-32. */
  private static String sourceId(URL url) throws IOException {
    URLConnection connection = url.openConnection();
    if (connection instanceof JarURLConnection) {
      JarEntry entry = ((JarURLConnection) connection).getJarEntry();
      if (entry != null && entry.getSize() >= 0 && entry.getCrc() >= 0) {
        return "size=" + entry.getSize() + " crc32=" + Long.toHexString(entry.getCrc());
      }
    }
    // Not in a jar (a classes folder): hash the resource itself.
    MessageDigest digest = newSha256();
    try (InputStream in = new DigestInputStream(url.openStream(), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return "sha256=" + hex(digest.digest());
  }

  /** Writes {@code bytes} to {@code target} unless a file there already hashes to {@code sha256}. */
  static void writeVerified(byte[] bytes, String sha256, Path target) throws IOException {
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && sha256.equals(sha256(target))) return;
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(bytes);
      }
      move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  /**
   * {@code dir}, created with mode 0700 when missing, after checking that only this JVM's user
   * can write to it: not a symbolic link, owned by {@code user.name}, not writable by group or
   * others. Otherwise an {@code IllegalStateException} names the directory, what is wrong, and the
   * fix.
   */
  static Path privateDirectory(Path dir) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException e) {
      // Checked below like one we created.
    }
    PosixFileAttributes attributes =
        Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String problem = null;
    String user = System.getProperty("user.name", "");
    UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (!attributes.isDirectory()) {
      problem = "it is not a directory (a symbolic link or a file)";
    } else if (!attributes.owner().equals(me)) {
      problem = "it is owned by '" + attributes.owner().getName() + "', not by '" + user + "'";
    } else if (permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      problem = "group or others may write to it (mode "
          + PosixFilePermissions.toString(permissions) + ")";
    }
    if (problem != null) {
      throw new IllegalStateException(
          "sparkdl will not load native libraries from " + dir + ": " + problem
              + ". Anyone who can write there chooses the code this JVM runs. Remove it, or set -D"
              + CACHE_DIR_PROPERTY + " to a directory only you can write to");
    }
    return dir;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Path cacheDir() {
    String explicit = System.getProperty(CACHE_DIR_PROPERTY);
    if (explicit != null && !explicit.isEmpty()) return Paths.get(explicit);
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
    return Paths.get(System.getProperty("java.io.tmpdir"), "sparkdl-" + user);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(byte[] bytes) {
    return hex(newSha256().digest(bytes));
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest = newSha256();
    byte[] chunk = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) digest.update(chunk, 0, n);
    }
    return hex(digest.digest());
  }

  private static String hex(byte[] bytes) {
    StringBuilder hex = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    return hex.toString();
  }

  private static String version() {
    return BUILD.getProperty("version", "unknown");
  }

  private static String tfVersion() {
    return BUILD.getProperty("tensorflow.version", "unknown");
  }

  private static Properties buildProperties() {
    Properties props = new Properties();
    URL url = resource("io/sparkdl/sparkdl.properties");
    if (url != null) {
      try (InputStream in = url.openStream()) {
        props.load(in);
      } catch (IOException e) {
        // Only names cache files and messages; defaults do.
      }
    }
    return props;
  }
}
