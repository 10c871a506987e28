package io.meridian.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import io.meridian.tls.Pem;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meridian certs}: a deployment's certificate authority and the certificates of its regions
 * and clients, as PEM files in one directory (the directory {@code tls: {dir: ...}} names).
 */
@Command(name = "certs", description = {"A deployment's certificate authority, and its regions' and clients' certificates,",
        "as PEM files in one directory: the one the configuration's `tls: {dir: ...}` names (docs/security.md)."},
        subcommands = {CertsCommand.Init.class, CertsCommand.Issue.class, CertsCommand.Client.class, CertsCommand.Revoke.class,
                CertsCommand.ListCerts.class})
final class CertsCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    abstract static class Action implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", description = "the certificates directory (default: ${DEFAULT-VALUE})")
        Path dir = Path.of("certs");

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try {
                Map<String, Object> done = run();
                if (json) {
                    System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(done));
                }
                return 0;
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }

        abstract Map<String, Object> run() throws IOException;

        Map<String, Object> issued(CertificateAuthority.Issued issued, Path file) {
            X509Certificate c = issued.certificate();
            Map<String, Object> out = describe(c);
            out.put("certificate", file.toString());
            out.put("key", file.resolveSibling(file.getFileName().toString().replace(".crt", ".key")).toString());
            if (!json) {
                System.out.println("issued " + issued.identity() + ": " + file + " and its key, valid until " + c.getNotAfter().toInstant()
                        + (out.get("hosts") instanceof List<?> h && !h.isEmpty() ? ", for " + String.join(", ", h.stream().map(String::valueOf).toList()) : ""));
            }
            return out;
        }
    }

    static Map<String, Object> describe(X509Certificate c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("identity", Identity.of(c).map(String::valueOf).orElse(c.getSubjectX500Principal().getName()));
        List<String> hosts = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                c.getSubjectAlternativeNames().stream().filter(n -> !Integer.valueOf(6).equals(n.get(0)))
                        .forEach(n -> hosts.add(String.valueOf(n.get(1))));
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // no names to show
        }
        out.put("hosts", hosts);
        out.put("not_before", c.getNotBefore().toInstant().toString());
        out.put("not_after", c.getNotAfter().toInstant().toString());
        out.put("serial", c.getSerialNumber().toString(16));
        return out;
    }

    @Command(name = "init", description = "Create the deployment's certificate authority: ca.crt (give it to every region and client)"
            + " and ca.key (keep it safe, off the hosts once certificates are issued).")
    static final class Init extends Action {
        @Option(names = "--days", description = "how long the authority is valid (default: ${DEFAULT-VALUE})")
        int days = 3650;

        @Override
        Map<String, Object> run() throws IOException {
            if (days < 1) {
                throw new IllegalArgumentException("--days must be at least 1");
            }
            CertificateAuthority ca = CertificateAuthority.create(Instant.now(), Duration.ofDays(days));
            ca.save(dir);
            if (!json) {
                System.out.println("created the certificate authority " + ca.certificate().getSubjectX500Principal().getName() + " in " + dir
                        + " (ca.crt, ca.key), valid until " + ca.certificate().getNotAfter().toInstant());
            }
            Map<String, Object> out = describe(ca.certificate());
            out.put("certificate", dir.resolve(CertificateAuthority.CERT_FILE).toString());
            return out;
        }
    }

    @Command(name = "issue", description = {"Issue a region's certificate: REGION.crt and REGION.key, for serving its API and between",
            "regions. Name every host name and address it is reached by. Run again to rotate: nodes pick the new files up."})
    static final class Issue extends Action {
        @Parameters(index = "0", paramLabel = "REGION", description = "the region, as named in the configuration")
        String region;

        @Option(names = "--host", paramLabel = "HOST", description = "a host name or IP address the region is reached by; repeat"
                + " (default: localhost and 127.0.0.1)")
        List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));

        @Option(names = "--days", description = "how long the certificate is valid (default: ${DEFAULT-VALUE})")
        int days = 365;

        @Override
        Map<String, Object> run() throws IOException {
            return issue(Identity.region(region), hosts, days, this);
        }
    }

    @Command(name = "client", description = "Issue a client's certificate: client.NAME.crt and client.NAME.key, shown to regions over HTTPS.")
    static final class Client extends Action {
        @Parameters(index = "0", paramLabel = "NAME", description = "the client's name")
        String name;

        @Option(names = "--days", description = "how long the certificate is valid (default: ${DEFAULT-VALUE})")
        int days = 365;

        @Override
        Map<String, Object> run() throws IOException {
            return issue(Identity.client(name), List.of(), days, this);
        }
    }

    private static Map<String, Object> issue(Identity identity, List<String> hosts, int days, Action action) throws IOException {
        if (days < 1) {
            throw new IllegalArgumentException("--days must be at least 1");
        }
        CertificateAuthority ca = CertificateAuthority.load(action.dir);
        Instant now = Instant.now();
        Instant end = now.plus(Duration.ofDays(days));
        if (end.isAfter(ca.certificate().getNotAfter().toInstant())) {
            end = ca.certificate().getNotAfter().toInstant(); // a certificate cannot outlive its authority
        }
        CertificateAuthority.Issued issued = ca.issue(identity, hosts, now.minusSeconds(60), end);
        return action.issued(issued, CertificateAuthority.save(issued, action.dir));
    }

    @Command(name = "revoke", description = {"Revoke a region's or a client's certificate (a leaked key): ca.crl, signed with ca.key,",
            "gains its serial. Copy ca.crl beside ca.crt on every host: regions refuse the certificate on new connections",
            "within a second of it arriving. Then issue a new certificate for the region or client."})
    static final class Revoke extends Action {
        @Parameters(index = "0", arity = "0..1", paramLabel = "REGION", description = "the region whose certificate (REGION.crt) to revoke")
        String region;

        @Option(names = "--client", paramLabel = "NAME", description = "revoke the client certificate client.NAME.crt instead")
        String client;

        @Override
        Map<String, Object> run() throws IOException {
            if ((region == null) == (client == null)) {
                throw new IllegalArgumentException("name a REGION or --client NAME (one of them)");
            }
            Identity who = region != null ? Identity.region(region) : Identity.client(client);
            Path file = CertificateAuthority.certFile(dir, who);
            if (!Files.exists(file)) {
                throw new IOException("no certificate " + file + " for " + who + " (`meridian certs list --dir " + dir + "` shows them)");
            }
            X509Certificate c = Pem.certificates(file).getFirst();
            io.meridian.tls.Revocations list = CertificateAuthority.load(dir).revoke(c, Instant.now(), dir);
            Map<String, Object> out = describe(c);
            out.put("certificate", file.toString());
            out.put("revoked_at", list.serials().get(c.getSerialNumber()).toString());
            out.put("revocation_list", dir.resolve(io.meridian.tls.Revocations.FILE).toString());
            out.put("revoked_serials", list.serials().size());
            if (!json) {
                System.out.println("revoked " + who + "'s certificate (serial " + c.getSerialNumber().toString(16) + "): "
                        + dir.resolve(io.meridian.tls.Revocations.FILE) + " now lists " + list.serials().size()
                        + ". Copy it beside ca.crt on every host; then `meridian certs "
                        + (region != null ? "issue " + region + " --host ..." : "client " + client) + "` makes a new one.");
            }
            return out;
        }
    }

    @Command(name = "list", description = "Show the certificates in the directory: whom each speaks for, its hosts and when it expires.")
    static final class ListCerts extends Action {
        @Override
        Map<String, Object> run() throws IOException {
            if (!Files.isDirectory(dir)) {
                throw new IOException("no directory " + dir + " (create the authority with `meridian certs init --dir " + dir + "`)");
            }
            List<Map<String, Object>> all = new ArrayList<>();
            io.meridian.tls.Revocations revoked = Files.exists(dir.resolve(CertificateAuthority.CERT_FILE))
                    ? io.meridian.tls.Revocations.load(dir, Pem.certificates(dir.resolve(CertificateAuthority.CERT_FILE)).getFirst())
                    : io.meridian.tls.Revocations.NONE;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.crt")) {
                List<Path> sorted = new ArrayList<>();
                files.forEach(sorted::add);
                sorted.sort(null);
                for (Path f : sorted) {
                    X509Certificate c = Pem.certificates(f).getFirst();
                    Map<String, Object> d = describe(c);
                    d.put("file", f.getFileName().toString());
                    d.put("revoked_at", revoked.revoked(c).map(Instant::toString).orElse(null));
                    if (f.getFileName().toString().equals(CertificateAuthority.CERT_FILE)) {
                        d.put("identity", "certificate authority");
                    }
                    all.add(d);
                }
            }
            if (!json) {
                System.out.printf("%-22s %-28s %-22s %s%n", "FILE", "SPEAKS FOR", "VALID UNTIL", "HOSTS");
                Instant now = Instant.now();
                for (Map<String, Object> d : all) {
                    boolean expired = Instant.parse((String) d.get("not_after")).isBefore(now);
                    System.out.printf("%-22s %-28s %-22s %s%n", d.get("file"), d.get("identity"),
                            d.get("not_after") + (d.get("revoked_at") != null ? " (revoked)" : expired ? " (expired)" : ""), String.join(", ", ((List<?>) d.get("hosts")).stream().map(String::valueOf).toList()));
                }
            }
            return Map.of("dir", dir.toString(), "certificates", all, "revoked_serials", revoked.serials().size());
        }
    }
}
