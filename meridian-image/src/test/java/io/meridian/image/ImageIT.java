package io.meridian.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image Jib built (target/meridian-image.tar) runs a node: its layers unpacked in order into a
 * root file system, its own entrypoint and user run there as a container runtime would (chroot,
 * with a mount and pid namespace of its own and /proc mounted; no cgroups). The node answers,
 * keeps a write across a SIGTERM and a restart, and drains on the way. Needs root, for chroot and
 * unshare; without it the test is skipped, saying why.
 */
class ImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path IMAGE = Path.of("target", "meridian-image.tar");

    @TempDir
    static Path dir;
    static Path root;
    static JsonNode config;

    @BeforeAll
    static void unpack() throws Exception {
        assertThat(IMAGE).as("built by jib:buildTar in the package phase").exists();
        String why = cannotChroot();
        if (why != null) {
            System.out.println("ImageIT skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
        Path image = dir.resolve("image");
        root = dir.resolve("root");
        Files.createDirectories(image);
        Files.createDirectories(root);
        run(List.of("tar", "-xf", IMAGE.toAbsolutePath().toString(), "-C", image.toString()), 60);
        JsonNode manifest = JSON.readTree(image.resolve("manifest.json").toFile()).get(0);
        config = JSON.readTree(image.resolve(manifest.path("Config").asText()).toFile()).path("config");
        for (JsonNode layer : manifest.path("Layers")) {
            run(List.of("tar", "--warning=no-unknown-keyword", "-xzf", image.resolve(layer.asText()).toString(), "-C",
                    root.toString()), 60);
        }
        Files.createDirectories(root.resolve("proc"));
    }

    @Test
    void theImageRunsANodeAsItsUserThatKeepsItsWritesAcrossARestart() throws Exception {
        assertThat(config.path("User").asText()).isEqualTo("65532:65532");
        assertThat(config.path("Entrypoint").get(0).asText()).isEqualTo("/opt/java/bin/java");
        assertThat(root.resolve("bin")).as("no shell in the image").doesNotExist();
        int http;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            http = a.getLocalPort();
        }
        Files.writeString(root.resolve("etc/meridian/meridian.yaml"), """
                regions:
                  - {name: solo, http: 127.0.0.1:%d}
                keyspaces:
                  - {name: carts, policy: local}
                """.formatted(http));
        List<String> node = new ArrayList<>();
        config.path("Entrypoint").forEach(a -> node.add(a.asText()));
        node.addAll(List.of("node", "--config", "/etc/meridian/meridian.yaml", "--region", "solo", "--data-dir", "/var/lib/meridian/solo"));

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String url = "http://127.0.0.1:" + http;
        Process first = start(node, "first");
        try {
            awaitReady(client, url, first, "first");
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/kv/carts/c-1"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"items\": 2}")).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        } finally {
            stop(first);
        }
        // 128 + 15: how a JVM reports an exit on SIGTERM once its shutdown hooks (the drain) have run
        assertThat(first.exitValue()).as("a SIGTERMed node drains and exits").isEqualTo(143);
        assertThat(Files.readString(dir.resolve("first.log"))).contains("drained");

        Process second = start(node, "second");
        try {
            awaitReady(client, url, second, "second");
            HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/kv/carts/c-1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("{\"items\": 2}");
        } finally {
            stop(second);
        }
        // written by the image's user, in the image's data directory
        assertThat(run(List.of("stat", "-c", "%u", root.resolve("var/lib/meridian/solo").toString()), 10).strip()).isEqualTo("65532");
    }

    private static Process start(List<String> entrypoint, String name) throws IOException {
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--mount-proc=" + root.resolve("proc"),
                "chroot", "--userspec=65532:65532", root.toString()));
        command.addAll(entrypoint);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        String path = System.getenv("PATH"); // for unshare and chroot, on the host
        pb.environment().clear();
        pb.environment().put("PATH", path);
        config.path("Env").forEach(e -> {
            String kv = e.asText();
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        });
        return pb.start();
    }

    private static void awaitReady(HttpClient client, String url, Process p, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("the node in the image exited while starting:\n" + Files.readString(dir.resolve(name + ".log")));
            }
            try {
                if (client.send(HttpRequest.newBuilder(URI.create(url + "/v1/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the node in the image was not ready within 90 s:\n" + Files.readString(dir.resolve(name + ".log")));
    }

    /** SIGTERM to the node (unshare forwards nothing: the node is the child of its pid namespace's init), then waits. */
    private static void stop(Process p) throws Exception {
        p.descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false)).forEach(ProcessHandle::destroy);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Null when this process may chroot and make namespaces; else why not. */
    private static String cannotChroot() {
        try {
            run(List.of("unshare", "--mount", "--pid", "--fork", "chroot", "/", "true"), 20);
            return null;
        } catch (Exception e) {
            return "chroot and unshare need root here: " + e.getMessage();
        }
    }

    private static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
        return out;
    }
}
