package io.meridian.cli;

import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * How a command reaches nodes: over HTTPS, the deployment's CA to check them by and a client
 * certificate to show; and the access token to present where the deployment requires one.
 */
final class ConnectionOptions {
    @Option(names = "--token", paramLabel = "TOKEN", description = "the access token to present (mrd_…, from `meridian tokens"
            + " create`; default: $MERIDIAN_TOKEN, if set)")
    String token;

    /** The access token to present, or null. */
    String token() {
        String t = token != null ? token : System.getenv("MERIDIAN_TOKEN");
        return t == null || t.isBlank() ? null : t.strip();
    }

    /** {@code request} with the access token, if there is one. */
    java.net.http.HttpRequest withToken(java.net.http.HttpRequest request) {
        String t = token();
        return t == null ? request
                : java.net.http.HttpRequest.newBuilder(request, (name, value) -> true).header("Authorization", "Bearer " + t).build();
    }

    @Option(names = "--certs", paramLabel = "DIR", description = "HTTPS: the certificates directory; a node must show a region's"
            + " certificate of its ca.crt (default: $MERIDIAN_CERTS, if set)")
    Path certs;

    @Option(names = "--as", paramLabel = "NAME", description = "HTTPS: show the client certificate client.NAME.crt of --certs")
    String as;

    /**
     * The context to dial HTTPS with; null when no certificates directory is given (plain HTTP, or
     * the JDK's trust).
     *
     * @param lab the lab the command talks to when no --url is given (its certificates, if it runs with TLS); null otherwise
     */
    SSLContext context(io.meridian.lab.Lab lab) throws IOException {
        Path dir = certs != null ? certs : System.getenv("MERIDIAN_CERTS") == null ? null : Path.of(System.getenv("MERIDIAN_CERTS"));
        if (dir == null && lab != null && as == null) {
            return lab.tls().orElse(null);
        }
        if (dir == null && lab != null) {
            dir = lab.certsDir();
        }
        if (dir == null) {
            if (as != null) {
                throw new IOException("--as " + as + " needs --certs DIR (where client." + as + ".crt is)");
            }
            return null;
        }
        TlsFiles files = as == null ? TlsFiles.trustOnly(dir) : TlsFiles.of(dir, Identity.client(as));
        return files.context(id -> id.kind() == Identity.Kind.REGION);
    }
}
