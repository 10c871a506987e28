package io.meridian.cli;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** What the commands that run a server in the foreground share: reading their addresses, and running until stopped. */
final class Foreground {
    private Foreground() {
    }

    /** A {@code host:port} to listen on; port 0 picks a free one. */
    record Listen(String host, int port) {
        static Listen parse(String text, String option) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(option + " '" + text + "' is not host:port");
            }
            return new Listen(text.substring(0, colon), Foreground.port(text.substring(colon + 1), option + " '" + text + "'"));
        }
    }

    /** A port number, 0 to 65535. */
    static int port(String text, String what) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + ": no such port");
        }
        return port;
    }

    /** An {@code http://host:port} URL. */
    static URI httpUrl(String text, String what) {
        return url(text, what, false);
    }

    /** As {@link #httpUrl}, {@code https} accepted too. */
    static URI url(String text, String what, boolean https) {
        URI u;
        try {
            u = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + text + "' is not a URL");
        }
        if (!("http".equals(u.getScheme()) || https && "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() <= 0) {
            throw new IllegalArgumentException(what + " '" + text + "' is not an " + (https ? "http(s)" : "http") + "://host:port URL");
        }
        return u;
    }

    /** {@code REGION=URL} values, in order; a region named twice, or {@code self}, is refused. */
    static Map<String, URI> regionUrls(List<String> values, String option, String self) {
        Map<String, URI> out = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(option + " '" + v + "' is not REGION=URL");
            }
            String name = v.substring(0, eq);
            if (name.equals(self)) {
                throw new IllegalArgumentException(option + " '" + name + "' is this region");
            }
            if (out.put(name, url(v.substring(eq + 1), option + " " + name, true)) != null) {
                throw new IllegalArgumentException(option + " '" + name + "' is named twice");
            }
        }
        return out;
    }

    /** Blocks until the process is asked to stop (Ctrl-C, SIGTERM), then closes {@code parts} in order. */
    static int runUntilStopped(AutoCloseable... parts) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable p : parts) {
                try {
                    p.close();
                } catch (Exception e) {
                    System.err.println("stopping: " + e);
                }
            }
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
