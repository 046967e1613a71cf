package dev.olla;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** A self-signed EC certificate for {@code localhost} (made with the JDK's keytool) for tests' HTTPS servers. */
public record SelfSignedTls(Path file, KeyStore store) {
    public static final String PASSWORD = "changeit";

    /** Creates {@code dir/backend.p12} whose certificate names {@code san} (keytool syntax, e.g. {@code dns:localhost}). */
    public static SelfSignedTls create(Path dir, String san) throws Exception {
        Path ks = dir.resolve("backend.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "backend", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=" + san, "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, PASSWORD.toCharArray());
        }
        return new SelfSignedTls(ks, store);
    }

    /** A server-side TLS context presenting this certificate. */
    public SSLContext serverContext() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, PASSWORD.toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        return ssl;
    }
}
