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
 * is the part of {@code wrk} or {@code pgbench} a Java benchmark needs, no more: HTTP/1.1, over
 * TLS for an {@code https} URL, no redirects. Thread-safe: each request borrows an idle connection
 * or opens one.
 */
final class HttpLoad implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 64 << 10;
    private final InetSocketAddress address;
    private final String host;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;
    /** Opens TLS connections for an {@code https} URL; null for plain HTTP. */
    private final javax.net.ssl.SSLSocketFactory tls;

    HttpLoad(URI base) {
        this(base, null);
    }

    /** @param tls how to reach an {@code https} URL (the lab's {@link Lab#tls()}); null for {@code http} */
    HttpLoad(URI base, javax.net.ssl.SSLContext tls) {
        boolean https = "https".equals(base.getScheme());
        if (!https && !"http".equals(base.getScheme()) || https && tls == null) {
            throw new IllegalArgumentException("expected an http URL, or an https one with a TLS context, not " + base);
        }
        this.tls = https ? tls.getSocketFactory() : null;
        this.address = new InetSocketAddress(base.getHost(), base.getPort() < 0 ? (https ? 443 : 80) : base.getPort());
        this.host = base.getHost() + (base.getPort() < 0 ? "" : ":" + base.getPort());
    }

    /** Sends {@code PUT path} with {@code body} and returns the response's status code. */
    int put(String path, byte[] body, String contentType) throws IOException {
        byte[] head = ("PUT " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        Connection c = idle.poll();
        if (c == null) {
            c = new Connection(address, tls);
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

        Connection(InetSocketAddress address, javax.net.ssl.SSLSocketFactory tls) throws IOException {
            Socket plain = new Socket();
            plain.setTcpNoDelay(true);
            plain.connect(address, 5_000);
            if (tls != null) {
                javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.createSocket(plain, address.getHostString(), address.getPort(), true);
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                socket = s;
            } else {
                socket = plain;
            }
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
