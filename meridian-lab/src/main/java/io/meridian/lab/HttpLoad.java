package io.meridian.lab;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A load generator's HTTP/1.1 client: keep-alive connections over plain sockets, one request at
 * a time on each, responses read and dropped. A benchmark's writer shares the machine with what
 * it measures: {@code java.net.http.HttpClient} and a JSON parse per response took 65-76 % of a
 * core at 1,000 writes a second on this 2-core machine, as much as the origin node itself. This
 * is the part of {@code wrk} or {@code pgbench} a Java benchmark needs, no more: no TLS, no
 * redirects, no HTTP/2. Thread-safe: each request borrows an idle connection or opens one.
 */
final class HttpLoad implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 64 << 10;
    private final InetSocketAddress address;
    private final String host;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    HttpLoad(URI base) {
        if (!"http".equals(base.getScheme())) {
            throw new IllegalArgumentException("the lab's benchmark client speaks plain HTTP only, not " + base
                    + ": run benchmarks on a lab started without --tls (bench/http.sh measures HTTPS with wrk)");
        }
        this.address = new InetSocketAddress(base.getHost(), base.getPort() < 0 ? 80 : base.getPort());
        this.host = base.getHost() + (base.getPort() < 0 ? "" : ":" + base.getPort());
    }

    /** Sends {@code PUT path} with {@code body} and returns the response's status code. */
    int put(String path, byte[] body, String contentType) throws IOException {
        byte[] head = ("PUT " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        Connection c = idle.poll();
        if (c == null) {
            c = new Connection(address);
        }
        try {
            c.out.write(head);
            c.out.write(body);
            c.out.flush();
            int status = c.readResponse();
            if (c.keepAlive && !closed) {
                idle.add(c);
            } else {
                c.close();
            }
            return status;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c; (c = idle.poll()) != null; ) {
            c.close();
        }
    }

    private static final class Connection {
        final Socket socket;
        final OutputStream out;
        final InputStream in;
        boolean keepAlive = true;

        Connection(InetSocketAddress address) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(address, 5_000);
            socket.setSoTimeout(30_000);
            out = new BufferedOutputStream(socket.getOutputStream(), 8_192);
            in = new BufferedInputStream(socket.getInputStream(), 8_192);
        }

        /** Reads one response: status line, headers, and a body by Content-Length or chunks. */
        int readResponse() throws IOException {
            String status = line();
            if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
                throw new IOException("not an HTTP/1.1 response: '" + status + "'");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> keepAlive = !value.equalsIgnoreCase("close");
                    default -> {
                    }
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                keepAlive = false; // the body runs to the end of the connection
            }
            return code;
        }

        private String line() throws IOException {
            StringBuilder s = new StringBuilder(64);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed in a response");
                }
                if (b != '\r') {
                    s.append((char) b);
                }
                if (s.length() > MAX_HEADER_BYTES) {
                    throw new IOException("a response line longer than " + MAX_HEADER_BYTES + " bytes");
                }
            }
            return s.toString();
        }

        private void skip(long n) throws IOException {
            long left = n;
            while (left > 0) {
                long skipped = in.skip(left);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("connection closed in a response body");
                    }
                    skipped = 1;
                }
                left -= skipped;
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
